"""User accounts and login sessions: only a hash of the session token is ever stored."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import psycopg
from psycopg.rows import dict_row

from clinician_ui.passwords import hash_password, verify_password

Role = Literal["nurse", "acute_nurse", "gp", "admin", "patient", "relative"]
ROLES: tuple[str, ...] = ("nurse", "acute_nurse", "gp", "admin", "patient", "relative")
CLINICAL_ROLES: frozenset[str] = frozenset({"nurse", "acute_nurse", "gp", "admin"})
# A patient, or a relative the patient has granted: they see the patient's own page and nothing else.
HOME_ROLES: frozenset[str] = frozenset({"patient", "relative"})
SESSION_LIFETIME = timedelta(hours=12)  # from sign-in, whatever the activity
IDLE_TIMEOUT = timedelta(minutes=30)  # without a request; each request moves the end on by this much


@dataclass(frozen=True)
class User:
    id: int
    username: str
    display_name: str
    role: str
    organisation_id: int | None
    locale: str

    def public(self) -> dict[str, object]:
        return {"id": self.id, "username": self.username, "display_name": self.display_name,
                "role": self.role}


@dataclass(frozen=True)
class Session:
    user: User
    token_hash: str
    csrf_token: str


def create_user(conn: psycopg.Connection, *, username: str, password: str, display_name: str, role: str,
                organisation_id: int | None, locale: str = "da") -> int:
    """Insert a user with an argon2 password hash and return its id (the caller commits)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    if locale not in ("da", "en"):
        raise ValueError(f"unknown locale {locale!r}; expected 'da' or 'en'")
    row = conn.execute(
        "INSERT INTO users (username, password_hash, display_name, role, organisation_id, locale)"
        " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
        (username, hash_password(password), display_name, role, organisation_id, locale),
    ).fetchone()
    assert row is not None
    return int(row[0])


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


_USER_COLUMNS = "u.id, u.username, u.display_name, u.role, u.organisation_id, u.locale"


def _user(row: dict[str, Any]) -> User:
    return User(id=int(row["id"]), username=str(row["username"]), display_name=str(row["display_name"]),
                role=str(row["role"]), organisation_id=row["organisation_id"], locale=str(row["locale"]))


async def find_user(conn: psycopg.AsyncConnection, username: str) -> User | None:
    """The account of this user name, without signing in (for jobs that act as a named user)."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(f"SELECT {_USER_COLUMNS} FROM users u WHERE u.username = %s", (username,))
    row = await cur.fetchone()
    return _user(row) if row else None


async def authenticate(conn: psycopg.AsyncConnection, username: str, password: str) -> User | None:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(f"SELECT {_USER_COLUMNS}, u.password_hash FROM users u WHERE u.username = %s",
                      (username,))
    row = await cur.fetchone()
    stored = str(row["password_hash"]) if row else None
    ok = await asyncio.to_thread(verify_password, stored, password)
    return _user(row) if ok and row else None


async def start_session(conn: psycopg.AsyncConnection, user_id: int,
                        idle: timedelta = IDLE_TIMEOUT) -> tuple[str, str]:
    """A new session for the user, on the idle clock: (cookie token, csrf token)."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    await conn.execute(
        "INSERT INTO sessions (token_hash, user_id, csrf_token, expires_at)"
        " VALUES (%s, %s, %s, now() + least(%s::interval, %s::interval))",
        (token_hash(token), user_id, csrf, SESSION_LIFETIME, idle),
    )
    # Sweep expired sessions now and then rather than in a separate job.
    await conn.execute("DELETE FROM sessions WHERE user_id = %s AND expires_at < now()", (user_id,))
    return token, csrf


async def load_session(conn: psycopg.AsyncConnection, token: str | None, *,
                       idle: timedelta | None = IDLE_TIMEOUT) -> Session | None:
    """The live session of this token. A request is activity: the session's end moves to ``idle`` from now,
    never past its absolute lifetime, in the same statement. ``idle=None`` only looks (a websocket keepalive is
    not the user doing something)."""
    if not token:
        return None
    digest = token_hash(token)
    cur = conn.cursor(row_factory=dict_row)
    if idle is None:
        await cur.execute(
            f"SELECT {_USER_COLUMNS}, s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id"
            " WHERE s.token_hash = %s AND s.expires_at > now()",
            (digest,),
        )
    else:
        await cur.execute(
            f"UPDATE sessions s SET expires_at = least(s.created_at + %s, now() + %s) FROM users u"
            f" WHERE u.id = s.user_id AND s.token_hash = %s AND s.expires_at > now()"
            f" RETURNING {_USER_COLUMNS}, s.csrf_token",
            (SESSION_LIFETIME, idle, digest),
        )
    row = await cur.fetchone()
    if row is None:
        return None
    return Session(user=_user(row), token_hash=digest, csrf_token=str(row["csrf_token"]))


async def end_session(conn: psycopg.AsyncConnection, digest: str) -> None:
    await conn.execute("DELETE FROM sessions WHERE token_hash = %s", (digest,))


async def set_locale(conn: psycopg.AsyncConnection, user_id: int, locale: str) -> None:
    await conn.execute("UPDATE users SET locale = %s WHERE id = %s", (locale, user_id))


async def create_user_async(conn: psycopg.AsyncConnection, *, username: str, password: str, display_name: str,
                            role: str, organisation_id: int | None, locale: str = "da") -> int:
    """As create_user, on the web app's connection; hashing runs off the event loop."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
    digest = await asyncio.to_thread(hash_password, password)
    cur = await conn.execute(
        "INSERT INTO users (username, password_hash, display_name, role, organisation_id, locale)"
        " VALUES (%s, %s, %s, %s, %s, %s) RETURNING id",
        (username, digest, display_name, role, organisation_id, locale),
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])
