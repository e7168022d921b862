"""How a kit or an ingest worker reaches the broker: one URL, part of the wire contract like the topics.

``mqtt://user:password@host:1883`` inside a trusted network, ``mqtts://user:password@host:8883`` everywhere
else. TLS checks the broker's certificate against the system's trust store (a public CA such as Let's Encrypt),
or, with ``?cafile=/etc/nearcare/ca.crt``, against a private CA shipped on the kit image.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

_DEFAULT_PORT = {"mqtt": 1883, "mqtts": 8883}
_OPTIONS = {"cafile"}


class EndpointError(ValueError):
    """A broker URL that cannot be used, with what is wrong in it."""


@dataclass(frozen=True)
class BrokerEndpoint:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False
    cafile: str | None = None  # None with tls: the system trust store

    @classmethod
    def parse(cls, url: str) -> BrokerEndpoint:
        parts = urlsplit(url)
        if parts.scheme not in _DEFAULT_PORT:
            raise EndpointError(f"broker URL must start with mqtt:// or mqtts://, not {parts.scheme or '(none)'}://")
        try:
            port = parts.port or _DEFAULT_PORT[parts.scheme]
        except ValueError as exc:
            raise EndpointError(f"broker URL has a bad port: {exc}") from None
        options = parse_qs(parts.query, keep_blank_values=True)
        unknown = sorted(set(options) - _OPTIONS)
        if unknown:
            raise EndpointError(f"broker URL has unknown options {', '.join(unknown)}; known: cafile")
        cafile = options.get("cafile", [None])[-1] or None
        if cafile and parts.scheme != "mqtts":
            raise EndpointError("cafile needs an mqtts:// URL")
        return cls(host=parts.hostname or "127.0.0.1", port=port,
                   username=unquote(parts.username) if parts.username else None,
                   password=unquote(parts.password) if parts.password is not None else None,
                   tls=parts.scheme == "mqtts", cafile=cafile)
