"""The kit's configuration file: which gateway this is, how it reaches the broker, which devices it reads.

One TOML file, /etc/nearcare/gateway.toml (or NEARCARE_GATEWAY_CONFIG). The broker password is not in it:
``credentials_file`` points at the file that ``nearcare gateway provision`` writes for the kit
(NEARCARE_GATEWAY_ID=..., NEARCARE_MQTT_URL=mqtts://id:password@host:port), readable only by the service.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from device_profiles.profiles import ProfileError, load_profile

DEFAULT_PATH = Path("/etc/nearcare/gateway.toml")
_ADDRESS = re.compile(r"^[0-9A-F]{2}(:[0-9A-F]{2}){5}$")


class ConfigError(ValueError):
    """A configuration that cannot be used, with the file and what is wrong."""


def config_path(given: Path | None = None) -> Path:
    if given is not None:
        return given
    env = os.environ.get("NEARCARE_GATEWAY_CONFIG")
    return Path(env) if env else DEFAULT_PATH


class Enrolled(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    address: str  # BLE address as BlueZ shows it, upper case
    profile: str  # a shipped profile id
    label: str = ""  # what the nurse calls it, e.g. "Blood pressure monitor (bedroom)"

    @field_validator("address", mode="before")
    @classmethod
    def _address(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().upper()
            if not _ADDRESS.match(value):
                raise ValueError(f"{value!r} is not a Bluetooth address like C0:4E:30:12:34:56")
        return value

    @field_validator("profile")
    @classmethod
    def _profile(cls, value: str) -> str:
        try:
            load_profile(value)
        except ProfileError as exc:
            raise ValueError(str(exc)) from exc
        return value


class GatewayConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gateway_id: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    mqtt_url: str | None = None  # without credentials; the credentials file's URL wins
    credentials_file: Path | None = Path("/etc/nearcare/gateway.env")
    data_dir: Path = Path("/var/lib/nearcare")
    timezone: str = "Europe/Copenhagen"
    heartbeat_s: float = Field(default=60.0, gt=0)
    scan_interval_s: float = Field(default=5.0, gt=0)
    drain_batches_per_s: float = Field(default=5.0, gt=0)  # x 200 readings per batch
    status_host: str = "127.0.0.1"
    status_port: int = Field(default=8321, ge=0, le=65535)  # 0: no local status page
    adapter: str | None = None  # e.g. "hci0"; None: BlueZ's default adapter
    devices: list[Enrolled] = Field(default_factory=list)

    @field_validator("credentials_file", mode="before")
    @classmethod
    def _no_file(cls, value: object) -> object:
        return None if value == "" else value  # TOML has no null: "" says "no credentials file"

    @model_validator(mode="after")
    def _unique(self) -> Self:
        seen = [d.address for d in self.devices]
        twice = sorted({a for a in seen if seen.count(a) > 1})
        if twice:
            raise ValueError(f"device(s) enrolled twice: {twice}")
        return self

    @property
    def outbox_path(self) -> Path:
        return self.data_dir / "outbox.sqlite"

    @property
    def status_path(self) -> Path:
        return self.data_dir / "status.json"

    def enrol(self, device: Enrolled) -> None:
        """Add a device, or replace the entry with the same address (re-pairing after a reset)."""
        self.devices = [d for d in self.devices if d.address != device.address] + [device]

    def connection(self) -> tuple[str, str]:
        """(gateway id, MQTT URL with credentials), from the credentials file where it says them."""
        values = read_env_file(self.credentials_file) if self.credentials_file else {}
        gateway_id = values.get("NEARCARE_GATEWAY_ID") or self.gateway_id
        url = values.get("NEARCARE_MQTT_URL") or self.mqtt_url
        if not gateway_id:
            raise ConfigError("no gateway id: set gateway_id, or install the kit's credentials file")
        if not url:
            raise ConfigError("no broker: set mqtt_url, or install the kit's credentials file")
        return gateway_id, url


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; a missing file is empty (a bench kit has none)."""
    if not path.exists():
        return {}
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            out[key.strip()] = value.strip().strip('"')
    return out


def load_config(path: Path) -> GatewayConfig:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such file; enrol a device with `nearcare gateway pair` first") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return GatewayConfig.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "<file>"
        raise ConfigError(f"{path}: {where}: {first['msg'].removeprefix('Value error, ')}") from exc


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid TOML basic string


def config_text(config: GatewayConfig) -> str:
    lines = ["# nearcare home gateway. Written by `nearcare gateway pair`; safe to edit by hand.", ""]
    for key, value in config.model_dump(exclude={"devices"}).items():
        if key == "credentials_file" and value is None:
            value = ""
        if value is not None:
            lines.append(f"{key} = {_toml_value(value)}")
    for device in config.devices:
        lines += ["", "[[devices]]"] + [f"{k} = {_toml_value(v)}" for k, v in device.model_dump().items()]
    return "\n".join(lines) + "\n"


def save_config(path: Path, config: GatewayConfig) -> None:
    """Replace the file atomically: a power cut leaves the old or the new file, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(config_text(config))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
