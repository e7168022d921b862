"""Device profiles: one TOML file per device model, validated at load, matched against BLE advertisements."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from device_profiles.decoders import DECODERS, short_id
from device_profiles.device_information import DECODER_NAMES as TEXT_DECODERS
from device_profiles.layout import VendorLayout, decode_layout
from device_profiles.reading import DecodedReading, DecodeError

_UUID16 = r"^[0-9a-f]{4}$"
_UUID = r"^(?:[0-9a-f]{4}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
_PROFILE_ID = r"^[a-z0-9][a-z0-9_]{0,63}$"

DeviceKind = Literal[
    "blood_pressure_monitor",
    "weight_scale",
    "glucometer",
    "pulse_oximeter",
    "thermometer",
    "spirometer",
    "peak_flow_meter",
]


class ProfileError(ValueError):
    """A profile file that cannot be used, with the file, the key and what is wrong with it."""

    def __init__(self, file: str, key: str, problem: str) -> None:
        super().__init__(f"{file}: {key}: {problem}")
        self.file = file
        self.key = key
        self.problem = problem


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Discovery(_Model):
    """How a device shows itself before connection. Either list may be empty, not both."""

    service_uuids: tuple[str, ...] = ()
    name_patterns: tuple[str, ...] = ()  # regular expressions, searched in the advertised local name

    @field_validator("service_uuids", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return tuple(str(v).lower() for v in value) if isinstance(value, list | tuple) else value

    @field_validator("service_uuids")
    @classmethod
    def _uuids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for uuid in value:
            if not re.match(_UUID, uuid):
                raise ValueError(f"{uuid!r} is neither a 16-bit id like '1810' nor a 128-bit UUID")
        return value

    @field_validator("name_patterns")
    @classmethod
    def _patterns(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a regular expression: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _something(self) -> Self:
        if not self.service_uuids and not self.name_patterns:
            raise ValueError("give service_uuids or name_patterns, or the device can never be found")
        return self


VENDOR_LAYOUT = "vendor_layout"  # the decoder name of a characteristic read by its profile's declared layout


class Characteristic(_Model):
    """One characteristic the gateway reads or subscribes to. A SIG decoder fixes its 16-bit id; a
    ``vendor_layout`` characteristic may have any id (vendors use 128-bit UUIDs) and declares ``layout``."""

    uuid: str = Field(pattern=_UUID)
    decoder: str
    mode: Literal["notify", "indicate", "read"]
    required: bool = True  # False: read/subscribe when present, carry on when absent
    layout: VendorLayout | None = None

    @field_validator("uuid", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("decoder")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in DECODERS and value not in TEXT_DECODERS and value != VENDOR_LAYOUT:
            known = ", ".join(sorted([*DECODERS, *TEXT_DECODERS, VENDOR_LAYOUT]))
            raise ValueError(f"unknown decoder {value!r}; known: {known}")
        return value

    @model_validator(mode="after")
    def _matches(self) -> Self:
        if self.decoder == VENDOR_LAYOUT:
            if self.layout is None:
                raise ValueError(f"decoder {VENDOR_LAYOUT!r} needs a [layout] table")
            return self
        if self.layout is not None:
            raise ValueError(f"layout is only read with decoder = {VENDOR_LAYOUT!r}")
        if self.decoder in TEXT_DECODERS:
            # Device Information text: read once per session into the device's status, never a reading.
            if self.mode != "read":
                raise ValueError(f"decoder {self.decoder!r} is read, not subscribed to")
            expected = TEXT_DECODERS[self.decoder]
            if expected != self.uuid:
                raise ValueError(f"decoder {self.decoder!r} reads characteristic {expected}, not {self.uuid}")
            return self
        expected = DECODERS[self.decoder].characteristic
        if expected != self.uuid:
            raise ValueError(f"decoder {self.decoder!r} reads characteristic {expected}, not {self.uuid}")
        return self

    def decode(self, data: bytes) -> DecodedReading:
        """Decode one value of this characteristic: pure, a DecodedReading or a DecodeError."""
        if self.layout is not None:
            return decode_layout(self.layout, self.uuid, data)
        if self.decoder in TEXT_DECODERS:
            raise DecodeError(f"{self.uuid}: device information text, read with decode_device_information")
        return DECODERS[self.decoder].decode(data)


class Records(_Model):
    """Where readings come from: ``live`` (only while connected), ``sent_on_connect`` (the device keeps
    unsent readings and indicates them all after connection) or ``racp`` (the gateway asks for them through a
    Record Access Control Point)."""

    mode: Literal["live", "sent_on_connect", "racp"]
    racp_uuid: str | None = Field(default=None, pattern=_UUID16)
    max_stored: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _racp(self) -> Self:
        if (self.mode == "racp") != (self.racp_uuid is not None):
            raise ValueError("racp_uuid is required with mode 'racp' and only then")
        return self


class Clock(_Model):
    """The device clock: whether the gateway may set it, through which characteristic, and whether readings
    carry the device's own time stamp (else the gateway receive time is the measured time)."""

    current_time_writable: bool
    time_characteristic: Literal["2a08", "2a2b"] | None = None
    readings_carry_time_stamp: bool = True

    @model_validator(mode="after")
    def _writable(self) -> Self:
        if self.current_time_writable != (self.time_characteristic is not None):
            raise ValueError(
                "time_characteristic is required when current_time_writable is true, and only then"
            )
        return self


class DeviceProfile(_Model):
    id: str = Field(pattern=_PROFILE_ID)
    manufacturer: str = Field(min_length=1)
    model: str = Field(min_length=1)
    kind: DeviceKind
    bonding_required: bool
    discovery: Discovery
    characteristics: tuple[Characteristic, ...] = Field(min_length=1)
    records: Records
    clock: Clock
    notes: str = ""

    @model_validator(mode="after")
    def _unique(self) -> Self:
        seen = [c.uuid for c in self.characteristics]
        duplicates = sorted({u for u in seen if seen.count(u) > 1})
        if duplicates:
            raise ValueError(f"characteristic(s) listed twice: {duplicates}")
        return self

    def characteristic(self, uuid: str) -> Characteristic | None:
        key = short_id(uuid) or uuid.strip().lower()
        return next((c for c in self.characteristics if c.uuid == key), None)

    def decode(self, characteristic: str, data: bytes) -> DecodedReading:
        """Decode a value as this device model sends it; a characteristic the profile lacks is a DecodeError."""
        found = self.characteristic(characteristic)
        if found is None:
            listed = ", ".join(c.uuid for c in self.characteristics)
            raise DecodeError(f"{characteristic}: profile {self.id} has no such characteristic; it lists {listed}")
        return found.decode(data)

    def matches_name(self, name: str | None) -> bool:
        return bool(name) and any(re.search(p, name or "") for p in self.discovery.name_patterns)

    def matches_services(self, service_uuids: Iterable[str]) -> bool:
        advertised = {short_id(u) or u.lower() for u in service_uuids}
        return any(u in advertised for u in self.discovery.service_uuids)


def _key(location: tuple[int | str, ...]) -> str:
    key = ""
    for part in location:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key or "<profile>"


def load_profile_file(path: Path) -> DeviceProfile:
    """Load and validate one profile file; every problem is a ProfileError naming the file and the key."""
    name = path.name
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ProfileError(name, "<file>", "no such profile file") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ProfileError(name, "<toml>", f"not valid TOML: {exc}") from exc
    try:
        profile = DeviceProfile.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        problem = first["msg"].removeprefix("Value error, ")  # pydantic's prefix says nothing to a reader
        if first["type"] == "extra_forbidden":
            problem = "unknown key (typo, or not part of the profile format)"
        elif first["type"] == "missing":
            problem = "required key is missing"
        raise ProfileError(name, _key(tuple(first["loc"])), problem) from exc
    if profile.id != path.stem:
        raise ProfileError(name, "id", f"id {profile.id!r} must equal the file name {path.stem!r}")
    return profile


def _packaged() -> Path:
    return Path(str(resources.files("device_profiles").joinpath("profiles")))


@lru_cache(maxsize=1)
def _shipped() -> dict[str, DeviceProfile]:
    return {p.id: p for p in (load_profile_file(f) for f in sorted(_packaged().glob("*.toml")))}


def all_profiles(directory: Path | None = None) -> tuple[DeviceProfile, ...]:
    """Every profile, sorted by id: the shipped ones, or those in ``directory``."""
    if directory is None:
        return tuple(_shipped().values())
    return tuple(load_profile_file(f) for f in sorted(directory.glob("*.toml")))


def load_profile(profile_id: str, directory: Path | None = None) -> DeviceProfile:
    """One profile by id; an unknown id is a ProfileError that lists the known ones."""
    if directory is not None:
        return load_profile_file(directory / f"{profile_id}.toml")
    shipped = _shipped()
    if profile_id not in shipped:
        raise ProfileError(f"{profile_id}.toml", "id", f"no such profile; known: {', '.join(shipped)}")
    return shipped[profile_id]


def profile_for_advertisement(
    name: str | None, service_uuids: Iterable[str], profiles: Iterable[DeviceProfile] | None = None
) -> DeviceProfile | None:
    """The profile for a device seen advertising. A name match identifies the model; a profile without name
    patterns is generic and matches on an advertised service alone. Name matches win; ties go to the
    lowest id so the choice never depends on file order."""
    uuids = tuple(service_uuids)
    candidates = all_profiles() if profiles is None else tuple(profiles)
    by_name = sorted((p for p in candidates if p.matches_name(name)), key=lambda p: p.id)
    if by_name:
        return by_name[0]
    generic = sorted(
        (p for p in candidates if not p.discovery.name_patterns and p.matches_services(uuids)),
        key=lambda p: p.id,
    )
    return generic[0] if generic else None
