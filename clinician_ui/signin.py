"""Signing in and out, shared by the login form and the JSON API."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import psycopg
from fastapi import Response

from clinician_ui.accounts import IDLE_TIMEOUT, SESSION_LIFETIME, User, authenticate, end_session, start_session
from clinician_ui.deps import SESSION_COOKIE
from clinician_ui.queries.audit import record
from clinician_ui.ratelimit import LoginLimiter


class Throttled(Exception):
    def __init__(self, retry_after_s: float) -> None:
        super().__init__(f"too many failed logins; retry in {retry_after_s:.0f} s")
        self.retry_after_s = retry_after_s

    @property
    def minutes(self) -> int:
        return max(1, int(-(-self.retry_after_s // 60)))


@dataclass(frozen=True)
class SignedIn:
    user: User
    token: str
    csrf_token: str


async def sign_in(conn: psycopg.AsyncConnection, limiter: LoginLimiter, username: str, password: str,
                  ip: str, *, idle: timedelta = IDLE_TIMEOUT) -> SignedIn | None:
    """A new session, or None for wrong credentials; raises Throttled after too many failures."""
    wait = limiter.retry_after(username, ip)
    if wait > 0:
        await record(conn, None, "login.throttled", None, {"username": username[:100], "ip": ip})
        raise Throttled(wait)
    user = await authenticate(conn, username, password)
    if user is None:
        limiter.failed(username, ip)
        await record(conn, None, "login.failed", None, {"username": username[:100], "ip": ip})
        return None
    limiter.succeeded(username, ip)
    token, csrf = await start_session(conn, user.id, idle)
    await record(conn, user.id, "login", None, {"ip": ip})
    return SignedIn(user=user, token=token, csrf_token=csrf)


async def sign_out(conn: psycopg.AsyncConnection, user_id: int, token_hash: str) -> None:
    await end_session(conn, token_hash)
    await record(conn, user_id, "logout")


def set_session_cookie(response: Response, token: str, secure: bool) -> None:
    response.set_cookie(SESSION_COOKIE, token, max_age=int(SESSION_LIFETIME.total_seconds()), path="/",
                        httponly=True, secure=secure, samesite="lax")


def clear_session_cookie(response: Response, secure: bool) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, secure=secure, samesite="lax")
