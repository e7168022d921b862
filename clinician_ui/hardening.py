"""The web app's one security middleware: response headers (a content security policy without inline
script, no caching of patient data, browser isolation, HSTS behind HTTPS) and refusal of NUL characters
(PostgreSQL text cannot hold them: they would end as a server error, not a 400).

Session expiry is not here: ``accounts.load_session`` moves a session's end on in the statement that reads it.
"""

from __future__ import annotations

import json
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "default-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'; object-src 'none'"
HSTS = b"max-age=31536000; includeSubDomains"
_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=(), usb=(), bluetooth=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
]

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


class Hardening:
    """Mount outermost: ``app.add_middleware(Hardening, hsts=secure_cookies)`` after the other middleware."""

    def __init__(self, app: ASGIApp, *, hsts: bool = True) -> None:
        self.app = app
        self.hsts = hsts

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
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_hardened(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", [])) + _HEADERS
                if not static:
                    headers.append((b"cache-control", b"no-store"))  # patient data stays out of caches
                if self.hsts:
                    headers.append((b"strict-transport-security", HSTS))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_hardened)
