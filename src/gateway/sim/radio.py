"""A simulated BLE radio behind the gateway's Transport interface: real bytes, fake air."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from device_profiles.date_time import build_current_time
from device_profiles.reading import DecodeError
from gateway.sim.devices import SimulatedDevice
from gateway.transport import Advertisement, LinkLost

CURRENT_TIME = "2a2b"


class SimLink:
    def __init__(self, device: SimulatedDevice, tz: ZoneInfo, now: Callable[[], datetime]) -> None:
        self.device = device
        self._tz = tz
        self._now = now
        self._connected = True
        self._gone = asyncio.Event()
        self._sender: asyncio.Task[None] | None = None

    @property
    def is_connected(self) -> bool:
        return self._connected

    def _check(self) -> None:
        if not self._connected:
            raise LinkLost(f"{self.device.address} is not connected")

    async def read(self, characteristic: str) -> bytes:
        self._check()
        if characteristic == CURRENT_TIME:
            return build_current_time(self.device.clock_now(self._now().astimezone(self._tz)))
        raise LinkLost(f"{characteristic} is not readable on {self.device.address}")

    async def write(self, characteristic: str, data: bytes, *, response: bool = True) -> None:
        self._check()
        if characteristic == CURRENT_TIME:
            from device_profiles.decoders import decode

            try:
                written = decode(CURRENT_TIME, data).device_time
            except DecodeError as exc:
                raise LinkLost(f"device rejected the time: {exc}") from exc
            if written is not None:
                self.device.clock_drift = written - self._now().astimezone(self._tz).replace(tzinfo=None)

    async def subscribe(self, characteristic: str, callback: Callable[[bytes], None], *,
                        indicate: bool = False) -> None:
        self._check()
        if characteristic == self.device.kind.characteristic and self._sender is None:
            self._sender = asyncio.create_task(self._send(callback))

    async def _send(self, callback: Callable[[bytes], None]) -> None:
        sent = 0
        await asyncio.sleep(0.01)
        while self.device.pending and self._connected:
            if self.device.disconnect_after is not None and sent >= self.device.disconnect_after:
                self.device.disconnect_after = None  # the fault happens once
                self._drop()
                return
            payload = self.device.pending[0]
            callback(payload)
            if self.device.duplicate_notifications:
                callback(payload)
            # Indications are confirmed by the gateway's stack; only then does the device forget the record.
            self.device.pending.pop(0)
            sent += 1
            await asyncio.sleep(0.002)
        await asyncio.sleep(0.02)
        self._drop()

    def _drop(self) -> None:
        self._connected = False
        self._gone.set()

    async def disconnect(self) -> None:
        self._drop()
        if self._sender is not None and not self._sender.done():
            self._sender.cancel()

    async def wait_disconnected(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._gone.wait(), timeout)
            return True
        except TimeoutError:
            return False


class SimulatedRadio:
    """Transport over simulated devices; a device advertises while it holds unsent readings."""

    def __init__(self, devices: list[SimulatedDevice], tz: ZoneInfo,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.devices = {d.address: d for d in devices}
        self.tz = tz
        self.now = now

    async def scan(self, timeout: float) -> list[Advertisement]:
        await asyncio.sleep(min(timeout, 0.01))
        return [Advertisement(d.address, d.kind.name, (d.kind.service,), rssi=-60)
                for d in self.devices.values() if d.advertising]

    async def connect(self, address: str, *, pair: bool = False, timeout: float = 10.0) -> SimLink:
        device = self.devices.get(address)
        if device is None or not device.advertising:
            raise LinkLost(f"{address} is not in range")
        return SimLink(device, self.tz, self.now)
