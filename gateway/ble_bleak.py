"""The real radio: the gateway's Transport and Link over bleak (BlueZ on Raspberry Pi OS).

Thin on purpose: it maps bleak calls and errors onto the transport interface; what to read, write and
subscribe, and in which order, is decided by the session. The bleak classes are injectable, as bleak itself
makes its back-ends, so the mapping is tested without a radio.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable
from typing import Any, Protocol

import structlog
from bleak import BleakClient, BleakScanner
from bleak.exc import BleakError

from device_profiles.decoders import short_id
from gateway.transport import Advertisement, GattError, LinkLost

log = structlog.get_logger(__name__)

_BASE_UUID = "0000{}-0000-1000-8000-00805f9b34fb"


def full_uuid(uuid: str) -> str:
    """bleak wants 128-bit UUIDs: a 16-bit id "2a35" becomes its Bluetooth Base UUID form."""
    short = short_id(uuid)
    return _BASE_UUID.format(short) if short else uuid.strip().lower()


class _Client(Protocol):
    """The part of ``bleak.BleakClient`` the gateway uses."""

    @property
    def is_connected(self) -> bool: ...

    async def connect(self, **kwargs: Any) -> None: ...

    async def disconnect(self) -> None: ...

    async def read_gatt_char(self, char_specifier: Any, **kwargs: Any) -> bytearray: ...

    async def write_gatt_char(self, char_specifier: Any, data: Any, response: bool | None = None) -> None: ...

    async def start_notify(self, char_specifier: Any, callback: Any, **kwargs: Any) -> None: ...


ClientFactory = Callable[..., _Client]
# discover(timeout) -> {address: (device, advertisement data)}, as BleakScanner.discover(return_adv=True)
Discover = Callable[[float], Any]


# Every bleak failure (characteristic not found, device not found, D-Bus errors) is a BleakError.
_FAULTS = (BleakError, OSError, TimeoutError)


class BleakLink:
    """One connection. A bleak error while connected is a refused operation (GattError); once the link is
    down every call is LinkLost, so the session keeps what arrived and the runner backs off."""

    def __init__(self, client: _Client, address: str, gone: asyncio.Event) -> None:
        self.client = client
        self.address = address
        self._gone = gone

    @property
    def is_connected(self) -> bool:
        return not self._gone.is_set() and self.client.is_connected

    def _fault(self, what: str, characteristic: str, exc: BaseException) -> Exception:
        if not self.is_connected:
            return LinkLost(f"{self.address}: link lost during {what} {characteristic}: {exc}")
        return GattError(f"{self.address}: {what} {characteristic} refused: {exc}")

    async def read(self, characteristic: str) -> bytes:
        try:
            return bytes(await self.client.read_gatt_char(full_uuid(characteristic)))
        except _FAULTS as exc:
            raise self._fault("read", characteristic, exc) from exc

    async def write(self, characteristic: str, data: bytes, *, response: bool = True) -> None:
        try:
            await self.client.write_gatt_char(full_uuid(characteristic), bytes(data), response=response)
        except _FAULTS as exc:
            raise self._fault("write", characteristic, exc) from exc

    async def subscribe(self, characteristic: str, callback: Callable[[bytes], None], *,
                        indicate: bool = False) -> None:
        # BlueZ's StartNotify writes the CCCD itself: notifications, or indications when the characteristic
        # only indicates; ``indicate`` is informational here. Indications are confirmed by the stack.
        def on_value(_sender: object, data: bytearray) -> None:
            callback(bytes(data))

        try:
            await self.client.start_notify(full_uuid(characteristic), on_value)
        except _FAULTS as exc:
            raise self._fault("subscribe", characteristic, exc) from exc

    async def disconnect(self) -> None:
        with contextlib.suppress(*_FAULTS):
            await self.client.disconnect()
        self._gone.set()

    async def wait_disconnected(self, timeout: float) -> bool:
        try:
            await asyncio.wait_for(self._gone.wait(), timeout)
        except TimeoutError:
            return not self.client.is_connected
        return True


class BleakTransport:
    """Scan and connect through bleak. ``addresses`` (the kit's enrolled devices) or else ``service_uuids``
    (the profiles' services) narrow what a scan reports; with neither, everything advertising is reported,
    which is what ``nearcare gateway scan`` wants."""

    def __init__(self, addresses: Iterable[str] = (), service_uuids: Iterable[str] = (), *,
                 adapter: str | None = None, discover: Discover | None = None,
                 client_factory: ClientFactory | None = None) -> None:
        self.addresses = {a.upper() for a in addresses}
        self.service_uuids = {full_uuid(u) for u in service_uuids}
        self.adapter = adapter
        self._discover = discover
        self._client_factory = client_factory
        self._seen: dict[str, object] = {}  # address -> bleak BLEDevice from the last scan

    async def _discovered(self, timeout: float) -> dict[str, tuple[Any, Any]]:
        if self._discover is not None:
            return dict(await self._discover(timeout))
        bluez: Any = {"adapter": self.adapter} if self.adapter else {}
        found = await BleakScanner.discover(timeout, return_adv=True, bluez=bluez)
        return dict(found)

    def _wanted(self, address: str, uuids: Iterable[str]) -> bool:
        if self.addresses:
            return address.upper() in self.addresses
        if self.service_uuids:
            return bool(self.service_uuids & {full_uuid(u) for u in uuids})
        return True

    async def scan(self, timeout: float) -> list[Advertisement]:
        try:
            found = await self._discovered(timeout)
        except (BleakError, OSError) as exc:
            # No adapter, BlueZ restarting, rfkill: the gateway lives on and scans again.
            log.warning("ble_scan_failed", error=str(exc))
            return []
        out: list[Advertisement] = []
        for device, adv in found.values():
            address = str(device.address).upper()
            uuids = tuple(adv.service_uuids or ())
            if not self._wanted(address, uuids):
                continue
            self._seen[address] = device
            out.append(Advertisement(address, adv.local_name or getattr(device, "name", None), uuids,
                                     rssi=adv.rssi, manufacturer_data=dict(adv.manufacturer_data or {})))
        return out

    def _client(self, target: object, on_gone: Callable[[Any], None], timeout: float, pair: bool) -> _Client:
        if self._client_factory is not None:
            return self._client_factory(target, on_gone, timeout=timeout, pair=pair)
        bluez: Any = {"adapter": self.adapter} if self.adapter else {}
        client: _Client = BleakClient(target, on_gone, timeout=timeout, pair=pair, bluez=bluez)  # type: ignore[arg-type]
        return client

    async def connect(self, address: str, *, pair: bool = False, timeout: float = 10.0) -> BleakLink:
        """Connect (pairing first when the profile needs a bond; BlueZ keeps the bond afterwards)."""
        address = address.upper()
        gone = asyncio.Event()
        loop = asyncio.get_running_loop()

        def on_gone(_client: object) -> None:
            # bleak calls back from its D-Bus handler; set the event on the loop the session waits on.
            loop.call_soon_threadsafe(gone.set)
            log.info("ble_disconnected", device=address)

        client = self._client(self._seen.get(address, address), on_gone, timeout, pair)
        try:
            await asyncio.wait_for(client.connect(), timeout + 5)
        except _FAULTS as exc:
            raise LinkLost(f"{address}: could not connect: {type(exc).__name__}: {exc}") from exc
        log.info("ble_connected", device=address, paired=pair)
        return BleakLink(client, address, gone)
