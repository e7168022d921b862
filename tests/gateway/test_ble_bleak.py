"""The bleak transport without a radio: UUIDs, scan filtering and error mapping over fake bleak objects."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from bleak.exc import BleakCharacteristicNotFoundError, BleakError

from gateway.ble_bleak import BleakLink, BleakTransport, full_uuid
from gateway.transport import GattError, Link, LinkLost, Transport


def test_full_uuid() -> None:
    assert full_uuid("2A35") == "00002a35-0000-1000-8000-00805f9b34fb"
    assert full_uuid("8D2A0002-3B7C-4E2A-9F61-5E2B6C8A1D40") == "8d2a0002-3b7c-4e2a-9f61-5e2b6c8a1d40"


def _adv(address: str, name: str | None, uuids: list[str], rssi: int = -70) -> tuple[Any, Any]:
    return (SimpleNamespace(address=address, name=name),
            SimpleNamespace(local_name=name, service_uuids=uuids, rssi=rssi, manufacturer_data={}))


FOUND = {
    "a": _adv("c0:00:00:00:00:01", "A&D_UA-651", ["00001810-0000-1000-8000-00805f9b34fb"]),
    "b": _adv("C0:00:00:00:00:02", None, ["00001808-0000-1000-8000-00805f9b34fb"]),
    "c": _adv("C0:00:00:00:00:03", "Headphones", []),
}


async def _discover(timeout: float) -> dict[str, tuple[Any, Any]]:
    return FOUND


def test_scan_filters_to_enrolled_addresses_or_services() -> None:
    everything = asyncio.run(BleakTransport(discover=_discover).scan(0.1))
    assert [a.address for a in everything] == ["C0:00:00:00:00:01", "C0:00:00:00:00:02", "C0:00:00:00:00:03"]
    enrolled = asyncio.run(BleakTransport(["c0:00:00:00:00:02"], discover=_discover).scan(0.1))
    assert [(a.address, a.rssi) for a in enrolled] == [("C0:00:00:00:00:02", -70)]
    by_service = asyncio.run(BleakTransport(service_uuids=["1810"], discover=_discover).scan(0.1))
    assert [a.name for a in by_service] == ["A&D_UA-651"]


def test_scan_without_an_adapter_reports_nothing() -> None:
    async def broken(timeout: float) -> dict[str, tuple[Any, Any]]:
        raise BleakError("No Bluetooth adapters found.")

    assert asyncio.run(BleakTransport(discover=broken).scan(0.1)) == []


class FakeClient:
    def __init__(self, target: object, on_gone: Callable[[Any], None], *, timeout: float, pair: bool) -> None:
        self.target, self.on_gone, self.pair = target, on_gone, pair
        self.is_connected = False
        self.written: list[tuple[str, bytes, bool | None]] = []
        self.notify: dict[str, Callable[[Any, bytearray], None]] = {}

    async def connect(self, **kwargs: Any) -> None:
        if self.target == "C0:00:00:00:00:09":
            raise TimeoutError("device did not answer")
        self.is_connected = True

    async def disconnect(self) -> None:
        self.is_connected = False
        self.on_gone(self)

    async def read_gatt_char(self, char_specifier: Any, **kwargs: Any) -> bytearray:
        if char_specifier == full_uuid("2a19"):
            return bytearray([80])
        raise BleakCharacteristicNotFoundError(char_specifier)

    async def write_gatt_char(self, char_specifier: Any, data: Any, response: bool | None = None) -> None:
        if not self.is_connected:
            raise BleakError("Not connected")
        self.written.append((char_specifier, data, response))

    async def start_notify(self, char_specifier: Any, callback: Any, **kwargs: Any) -> None:
        self.notify[char_specifier] = callback

    def drop(self) -> None:
        """The device walks out of range."""
        self.is_connected = False
        self.on_gone(self)


def test_link_maps_bleak_onto_the_transport_interface() -> None:
    clients: list[FakeClient] = []

    def factory(*args: Any, **kwargs: Any) -> FakeClient:
        clients.append(FakeClient(*args, **kwargs))
        return clients[-1]

    async def scenario() -> None:
        transport: Transport = BleakTransport(discover=_discover, client_factory=factory)  # type-checked fit
        await transport.scan(0.1)
        link: Link = await transport.connect("c0:00:00:00:00:01", pair=True)
        assert isinstance(link, BleakLink)
        client = clients[0]
        assert client.pair and client.target is FOUND["a"][0]  # connects with the device the scan found
        assert await link.read("2a19") == b"\x50"
        with pytest.raises(GattError):
            await link.read("2a2b")
        await link.write("2a08", b"\x01", response=True)
        assert client.written == [(full_uuid("2a08"), b"\x01", True)]
        got: list[bytes] = []
        await link.subscribe("2a35", got.append, indicate=True)
        client.notify[full_uuid("2a35")](object(), bytearray(b"\x00\x01"))
        assert got == [b"\x00\x01"]
        assert not await link.wait_disconnected(0.01)
        client.drop()
        assert await link.wait_disconnected(1)
        assert not link.is_connected
        with pytest.raises(LinkLost):
            await link.write("2a08", b"\x01")
        with pytest.raises(LinkLost, match="could not connect"):
            await transport.connect("C0:00:00:00:00:09")

    asyncio.run(scenario())
