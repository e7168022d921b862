"""Security middleware beside SecurityHeaders: HSTS and browser isolation headers, idle session expiry, and
refusal of NUL characters (PostgreSQL text cannot hold them: they would end as a server error, not a 400).

Mount outermost: ``app.add_middleware(Hardening, hsts=secure_cookies)`` after the other middleware.
A session ends after ``idle`` without a request, and in any case ``SESSION_LIFETIME`` after sign-in: each
request moves ``sessions.expires_at`` to ``min(created_at + lifetime, now + idle)``.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import structlog
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clinician_ui.accounts import SESSION_LIFETIME, token_hash
from clinician_ui.deps import SESSION_COOKIE

log = structlog.get_logger(__name__)

IDLE_TIMEOUT = timedelta(minutes=30)
HSTS = b"max-age=31536000; includeSubDomains"
_ISOLATION_HEADERS = [
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=(), bluetooth=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]
_SLIDE = ("UPDATE sessions SET expires_at = least(created_at + %s, now() + %s)"
          " WHERE token_hash = %s AND expires_at > now()")


# An escaped NUL in JSON (an odd number of backslashes before u0000), or a percent-encoded one in a form or URL.
_JSON_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
_CHECKED_BODIES = ("application/json", "application/x-www-form-urlencoded")
_NUL_REFUSED = json.dumps({"detail": "Text must not contain NUL characters"}).encode()


def has_nul(content_type: str, body: bytes) -> bool:
    if content_type.startswith("application/json"):
        return _JSON_NUL.search(body) is not None
    return b"%00" in body or b"\x00" in body


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1")).lower()
    return ""


def _cookie(scope: Scope, name: str) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == b"cookie":
            return cookie_parser(value.decode("latin-1")).get(name)
    return None


def _new_session_token(message: Message) -> str | None:
    """The session token this response sets, if it signs someone in."""
    prefix = f"{SESSION_COOKIE}=".encode()
    for key, value in message.get("headers", ()):
        if key == b"set-cookie" and value.startswith(prefix):
            token = value[len(prefix):].split(b";", 1)[0].strip(b'"')
            return token.decode("latin-1") or None
    return None


class Hardening:
    def __init__(self, app: ASGIApp, *, hsts: bool = True, idle: timedelta = IDLE_TIMEOUT,
                 lifetime: timedelta = SESSION_LIFETIME) -> None:
        self.app = app
        self.hsts = hsts
        self.idle = idle
        self.lifetime = lifetime

    async def _slide(self, scope: Scope, token: str) -> None:
        pool: Any = getattr(getattr(scope.get("app"), "state", None), "pool", None)
        if pool is None:
            return
        try:
            async with pool.connection() as conn:
                await conn.execute(_SLIDE, (self.lifetime, self.idle, token_hash(token)))
        except Exception as exc:  # the request itself will meet the same database and say so
            log.warning("session_slide_failed", error=type(exc).__name__)

    async def _nul_check(self, scope: Scope, receive: Receive) -> tuple[bool, Receive]:
        """Whether the URL or a JSON/form body carries a NUL; the body is read here and handed on unchanged."""
        if b"%00" in scope.get("query_string", b"") or "\x00" in scope["path"]:
            return True, receive
        content_type = _header(scope, b"content-type")
        if not content_type.startswith(_CHECKED_BODIES):
            return False, receive
        chunks: list[bytes] = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return False, receive  # the client went away; let the app see it as it would have
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if has_nul(content_type, body):
            return True, receive
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        return False, replay

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "http":
            refused, receive = await self._nul_check(scope, receive)
            if refused:
                await send({"type": "http.response.start", "status": 400,
                            "headers": [(b"content-type", b"application/json"),
                                        (b"content-length", str(len(_NUL_REFUSED)).encode())]})
                await send({"type": "http.response.body", "body": _NUL_REFUSED})
                return
        static = scope["path"].startswith("/static/")
        token = None if static else _cookie(scope, SESSION_COOKIE)
        if token:
            # Before the handler: an idle session has already lapsed and stays lapsed; a live one moves on.
            await self._slide(scope, token)
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return

        async def send_hardened(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", [])) + _ISOLATION_HEADERS
                if self.hsts:
                    headers.append((b"strict-transport-security", HSTS))
                message["headers"] = headers
                new = _new_session_token(message)
                if new:
                    # A fresh session starts on the idle clock, not on the full lifetime.
                    await self._slide(scope, new)
            await send(message)

        await self.app(scope, receive, send_hardened)
