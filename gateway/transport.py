"""The small BLE transport interface the gateway speaks; bleak and the simulator sit behind it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Advertisement:
    address: str
    name: str | None
    service_uuids: tuple[str, ...] = ()
    rssi: int | None = None
    manufacturer_data: dict[int, bytes] = field(default_factory=dict)


class LinkLost(Exception):
    """The device went away (out of range, switched off, link supervision timeout)."""


class GattError(Exception):
    """The device refused one operation (no such characteristic, not permitted); the link stays up."""


class Link(Protocol):
    """One connection to one device. UUIDs are 16-bit ids as 4 hex digits ("2a35") or full 128-bit."""

    @property
    def is_connected(self) -> bool: ...

    async def read(self, characteristic: str) -> bytes: ...

    async def write(self, characteristic: str, data: bytes, *, response: bool = True) -> None: ...

    async def subscribe(self, characteristic: str, callback: Callable[[bytes], None], *,
                        indicate: bool = False) -> None: ...

    async def disconnect(self) -> None: ...

    async def wait_disconnected(self, timeout: float) -> bool: ...


class Transport(Protocol):
    async def scan(self, timeout: float) -> list[Advertisement]: ...

    async def connect(self, address: str, *, pair: bool = False, timeout: float = 10.0) -> Link: ...
