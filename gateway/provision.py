"""Gateway identity: a broker account per kit, the Mosquitto password and ACL files, the database row.

A gateway's broker user name is its gateway id, so one pattern ACL (``%u``) confines every gateway to its
own topics; only the ingest account reads across gateways.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import structlog

from device_profiles.endpoint import BrokerEndpoint, EndpointError
from device_profiles.wire import TOPIC_ROOT

log = structlog.get_logger(__name__)

# Same alphabet the wire model accepts for gateway ids; no MQTT wildcards or separators can slip into an ACL.
GATEWAY_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
RESERVED_USERS = frozenset({"ingest", "admin", "root", "mosquitto"})
# Mosquitto 2.0's own default. The passwords are 192 random bits, so the iteration count is not what keeps
# them safe; matching mosquitto_passwd keeps both writers interchangeable.
PBKDF2_ITERATIONS = 101
_SALT_BYTES = 12


class ProvisionError(ValueError):
    """A gateway id or account that cannot be provisioned, with the reason."""


@dataclass(frozen=True)
class Credentials:
    gateway_id: str
    password: str
    mqtt_url: str  # what the kit connects to, credentials included

    @property
    def username(self) -> str:
        return self.gateway_id


def new_gateway_id() -> str:
    return f"kit-{secrets.token_hex(4)}"


def new_password() -> str:
    return secrets.token_urlsafe(24)  # URL-safe: it goes into the kit's mqtt(s):// URL as is


def check_gateway_id(gateway_id: str, ingest_user: str = "ingest") -> str:
    if not GATEWAY_ID.fullmatch(gateway_id):
        raise ProvisionError(f"gateway id {gateway_id!r} must be 1–64 of A–Z a–z 0–9 _ . -")
    if gateway_id.casefold() in RESERVED_USERS | {ingest_user.casefold()}:
        raise ProvisionError(f"gateway id {gateway_id!r} is reserved for a server account")
    return gateway_id


# --- Mosquitto password file -------------------------------------------------------------------------------

def hash_password(password: str, *, salt: bytes | None = None, iterations: int = PBKDF2_ITERATIONS) -> str:
    """Mosquitto's ``$7$`` entry: PBKDF2-HMAC-SHA512, ``$7$<iterations>$<b64 salt>$<b64 64-byte hash>``."""
    salt = secrets.token_bytes(_SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, 64)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(encoded: str, password: str) -> bool:
    parts = encoded.split("$")
    if len(parts) != 5 or parts[1] != "7":
        return False
    try:
        iterations, salt, digest = int(parts[2]), base64.b64decode(parts[3]), base64.b64decode(parts[4])
    except ValueError:
        return False
    got = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, len(digest))
    return hmac.compare_digest(got, digest)


def read_passwd(path: Path) -> dict[str, str]:
    """user → hash entry, in file order."""
    entries: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip() and not line.startswith("#") and ":" in line:
                user, _, encoded = line.partition(":")
                entries[user] = encoded
    return entries


def _write_private(path: Path, text: str) -> None:
    """Replace ``path`` atomically with a file only its owner can read."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_passwd(path: Path, entries: dict[str, str]) -> None:
    _write_private(path, "".join(f"{user}:{encoded}\n" for user, encoded in entries.items()))


def set_account(path: Path, username: str, password: str, *, tool: str | None = "mosquitto_passwd") -> str:
    """Add or replace one broker account; returns which writer did it ("mosquitto_passwd" or "python")."""
    if ":" in username or not username.strip():
        raise ProvisionError(f"broker user name {username!r} is not allowed")
    exe = shutil.which(tool) if tool else None
    if exe is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # -b puts the password on the command line for a moment; this runs on the broker host, by its admin.
        args = [exe, *([] if path.exists() else ["-c"]), "-b", str(path), username, password]
        done = subprocess.run(args, capture_output=True, text=True, timeout=30)
        if done.returncode == 0 and verify_password(read_passwd(path).get(username, ""), password):
            os.chmod(path, 0o600)
            return "mosquitto_passwd"
        log.warning("mosquitto_passwd_failed", returncode=done.returncode, error=done.stderr.strip()[:200])
    entries = read_passwd(path)
    entries[username] = hash_password(password)
    write_passwd(path, entries)
    return "python"


def remove_account(path: Path, username: str) -> bool:
    entries = read_passwd(path)
    if entries.pop(username, None) is None:
        return False
    write_passwd(path, entries)
    return True


# --- ACL ---------------------------------------------------------------------------------------------------

def acl_text(ingest_user: str = "ingest") -> str:
    """The whole ACL: each gateway its own topics, the ingest account everything it consumes."""
    gw = f"{TOPIC_ROOT}/%u"
    every = f"{TOPIC_ROOT}/+"
    return "\n".join([
        "# Generated by `nearcare gateway provision`; edits are overwritten.",
        "# A gateway's broker user name is its gateway id: it writes only under its own id and reads its commands.",
        f"pattern write {gw}/obs",
        f"pattern write {gw}/status",
        f"pattern write {gw}/events",
        f"pattern read {gw}/cmd",
        "",
        "# The ingest workers read what every gateway sends and may send commands down.",
        f"user {ingest_user}",
        f"topic read {every}/obs",
        f"topic read {every}/status",
        f"topic read {every}/events",
        f"topic write {every}/cmd",
        "",
    ])


def write_acl(path: Path, ingest_user: str = "ingest") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(acl_text(ingest_user))
    os.chmod(path, 0o644)


# --- database and kit file ---------------------------------------------------------------------------------

def register_gateway(conn: psycopg.Connection, gateway_id: str, *, label: str | None = None,
                     organisation_id: int | None = None) -> bool:
    """Insert the gateway (or keep it, filling in what is given); returns True when it is new. Audited."""
    row = conn.execute(
        "INSERT INTO gateways (id, label, organisation_id) VALUES (%s, %s, %s)"
        " ON CONFLICT (id) DO UPDATE SET label = coalesce(excluded.label, gateways.label),"
        " organisation_id = coalesce(excluded.organisation_id, gateways.organisation_id)"
        " RETURNING (xmax = 0)", (gateway_id, label, organisation_id),
    ).fetchone()
    created = bool(row and row[0])
    conn.execute("INSERT INTO audit_log (user_id, action, detail) VALUES (NULL, %s, %s)",
                 ("gateway.provision", json.dumps({"gateway_id": gateway_id, "new": created})))
    return created


def kit_url(broker_url: str, gateway_id: str, password: str) -> str:
    try:
        BrokerEndpoint.parse(broker_url)  # scheme, port and options, as the kit will read them
    except EndpointError as exc:
        raise ProvisionError(f"broker URL {broker_url!r}: {exc}") from None
    parts = urlsplit(broker_url)
    if not parts.hostname:  # a kit cannot fall back to localhost
        raise ProvisionError(f"broker URL {broker_url!r} must name the broker's host: mqtts://host:port")
    port = f":{parts.port}" if parts.port else ""
    # The query (?cafile=…) goes to the kit too: it says which CA the kit trusts.
    return urlunsplit((parts.scheme, f"{gateway_id}:{password}@{parts.hostname}{port}", "", parts.query, ""))


def kit_file_text(creds: Credentials) -> str:
    return (f"# nearcare gateway {creds.gateway_id}: install on the kit as /etc/nearcare/gateway.env (mode 0600).\n"
            f"NEARCARE_GATEWAY_ID={creds.gateway_id}\n"
            f"NEARCARE_MQTT_URL={creds.mqtt_url}\n")


def write_kit_file(kit_dir: Path, creds: Credentials) -> Path:
    path = kit_dir / f"{creds.gateway_id}.env"
    _write_private(path, kit_file_text(creds))
    return path


@dataclass(frozen=True)
class Provisioned:
    credentials: Credentials
    passwd_file: Path
    acl_file: Path
    kit_file: Path
    new_in_database: bool | None  # None when no database was given
    writer: str


def provision(config_dir: Path, kit_dir: Path, broker_url: str, *, gateway_id: str | None = None,
              database_url: str | None = None, label: str | None = None, organisation_id: int | None = None,
              ingest_user: str = "ingest", passwd_tool: str | None = "mosquitto_passwd") -> Provisioned:
    """Create (or rotate) one gateway's account: password file, ACL, database row and kit file.

    The database row is written first: if that fails nothing on the broker side has changed.
    """
    gateway_id = check_gateway_id(gateway_id or new_gateway_id(), ingest_user)
    password = new_password()
    creds = Credentials(gateway_id, password, kit_url(broker_url, gateway_id, password))
    created: bool | None = None
    if database_url:
        with psycopg.connect(database_url) as conn:
            created = register_gateway(conn, gateway_id, label=label, organisation_id=organisation_id)
    passwd_file, acl_file = config_dir / "passwd", config_dir / "acl"
    writer = set_account(passwd_file, gateway_id, password, tool=passwd_tool)
    write_acl(acl_file, ingest_user)
    kit_file = write_kit_file(kit_dir, creds)
    log.info("gateway_provisioned", gateway=gateway_id, new=created, writer=writer)
    return Provisioned(creds, passwd_file, acl_file, kit_file, created, writer)
