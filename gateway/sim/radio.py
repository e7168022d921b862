"""A simulated BLE radio behind the gateway's Transport interface: real bytes, fake air."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from device_profiles.battery import BATTERY_LEVEL, build_battery_level
from device_profiles.date_time import CURRENT_TIME, DATE_TIME, build_current_time, build_date_time
from device_profiles.decoders import decode
from device_profiles.device_information import build_device_information
from device_profiles.glucose_context import GLUCOSE_MEASUREMENT_CONTEXT
from device_profiles.reading import DecodeError
from gateway import racp
from gateway.sim.devices import SimulatedDevice, StoredRecord
from gateway.transport import Advertisement, GattError, LinkLost

Callback = Callable[[bytes], None]


class SimLink:
    def __init__(self, device: SimulatedDevice, tz: ZoneInfo, now: Callable[[], datetime]) -> None:
        self.device = device
        self._tz = tz
        self._now = now
        self._connected = True
        self._gone = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._subscribed: dict[str, Callback] = {}
        self._sent = 0  # values sent on this link, for the disconnect_after fault

    @property
    def is_connected(self) -> bool:
        return self._connected

    def _check(self) -> None:
        if not self._connected:
            raise LinkLost(f"{self.device.address} is not connected")

    def _local_now(self) -> datetime:
        return self._now().astimezone(self._tz).replace(tzinfo=None)

    async def read(self, characteristic: str) -> bytes:
        self._check()
        if characteristic == CURRENT_TIME:
            return build_current_time(self.device.clock_now(self._local_now()))
        if characteristic == DATE_TIME:
            return build_date_time(self.device.clock_now(self._local_now()))
        if characteristic == BATTERY_LEVEL:
            return build_battery_level(self.device.battery)
        if characteristic in self.device.info:
            return build_device_information(self.device.info[characteristic])
        raise GattError(f"{characteristic} is not readable on {self.device.address}")

    async def write(self, characteristic: str, data: bytes, *, response: bool = True) -> None:
        self._check()
        if characteristic in (CURRENT_TIME, DATE_TIME):
            try:
                written = decode(characteristic, data).device_time
            except DecodeError as exc:
                raise GattError(f"device rejected the time: {exc}") from exc
            if written is not None:
                self.device.clock_drift = written - self._local_now()
            return
        if characteristic == self.device.kind.racp:
            self._racp_write(data)
            return
        raise GattError(f"{characteristic} is not writable on {self.device.address}")

    async def subscribe(self, characteristic: str, callback: Callback, *, indicate: bool = False) -> None:
        self._check()
        if characteristic not in (self.device.kind.characteristic, self.device.kind.racp, *self._context()):
            raise GattError(f"{characteristic} has no notifications on {self.device.address}")
        self._subscribed[characteristic] = callback
        if characteristic == self.device.kind.characteristic and self.device.kind.racp is None \
                and self._task is None:
            self._task = asyncio.create_task(self._push_pending(callback))

    def _context(self) -> tuple[str, ...]:
        """A simulated glucose meter has the context characteristic its profile lists."""
        return (GLUCOSE_MEASUREMENT_CONTEXT,) if self.device.kind.kind == "glucose" else ()

    def _emit(self, callback: Callback, payload: bytes) -> bool:
        """Send one value (twice with the duplicate fault); False when the link drops instead."""
        if self.device.disconnect_after is not None and self._sent >= self.device.disconnect_after:
            self.device.disconnect_after = None  # the fault happens once
            self._drop()
            return False
        callback(payload)
        if self.device.duplicate_notifications:
            callback(payload)
        self._sent += 1
        return True

    async def _push_pending(self, callback: Callback) -> None:
        """Devices that send on connect: everything held, then hang up."""
        await asyncio.sleep(0.01)
        while self.device.pending and self._connected:
            if not self._emit(callback, self.device.pending[0]):
                return
            # Indications are confirmed by the gateway's stack; only then does the device forget the record.
            self.device.pending.pop(0)
            await asyncio.sleep(0.002)
        await asyncio.sleep(0.02)
        self._drop()

    def _racp_write(self, data: bytes) -> None:
        """[GLP 1.0] a write needs both the measurement notifications and the RACP indications enabled,
        and only one procedure runs at a time."""
        if self.device.kind.characteristic not in self._subscribed or self.device.kind.racp not in self._subscribed:
            raise GattError("client characteristic configuration descriptor improperly configured")
        if self._task is not None and not self._task.done():
            raise GattError("procedure already in progress")
        try:
            request = racp.parse_request(data)
        except racp.RacpError:
            self._task = asyncio.create_task(self._answer(data[0] if data else 0, racp.INVALID_OPERATOR))
            return
        self._task = asyncio.create_task(self._run_racp(request))

    async def _answer(self, op_code: int, code: int) -> None:
        await asyncio.sleep(0.002)
        if self._connected:
            self._subscribed[self.device.kind.racp or racp.RACP](racp.build_response_code(op_code, code))

    def _select(self, request: racp.Request) -> list[StoredRecord] | None:
        records = self.device.records
        op, values = request.operator, request.sequences
        if op not in self.device.racp_operators:
            return None
        if op == racp.ALL_RECORDS:
            return list(records)
        if op == racp.LESS_OR_EQUAL:
            return [r for r in records if r.sequence <= values[0]]
        if op == racp.GREATER_OR_EQUAL:
            return [r for r in records if r.sequence >= values[0]]
        if op == racp.WITHIN_RANGE:
            return [r for r in records if values[0] <= r.sequence <= values[1]]
        if op == racp.FIRST_RECORD:
            return records[:1]
        if op == racp.LAST_RECORD:
            return records[-1:]
        return None

    async def _run_racp(self, request: racp.Request) -> None:
        await asyncio.sleep(0.005)
        indicate = self._subscribed[self.device.kind.racp or racp.RACP]
        notify = self._subscribed[self.device.kind.characteristic]
        if request.op_code not in (racp.REPORT_STORED_RECORDS, racp.REPORT_NUMBER_OF_RECORDS):
            return await self._answer(request.op_code, racp.OP_CODE_NOT_SUPPORTED)
        selected = self._select(request)
        if selected is None:
            return await self._answer(request.op_code, racp.OPERATOR_NOT_SUPPORTED)
        if request.op_code == racp.REPORT_NUMBER_OF_RECORDS:
            indicate(racp.build_number_of_records(len(selected)))
            return None
        if not selected:
            return await self._answer(request.op_code, racp.NO_RECORDS_FOUND)
        context = self._subscribed.get(GLUCOSE_MEASUREMENT_CONTEXT)
        for record in selected:
            if not self._connected or not self._emit(notify, record.payload):
                return None
            if record.context is not None and context is not None and not self._emit(context, record.context):
                return None
            await asyncio.sleep(0.001)
        return await self._answer(request.op_code, racp.SUCCESS)

    def _drop(self) -> None:
        self._connected = False
        self._gone.set()

    async def disconnect(self) -> None:
        # The gateway hung up after its session: a meter stops advertising until the next test. A link lost
        # by a fault leaves it advertising, as a meter that did not finish its transfer would.
        self.device.awake = False
        self._drop()
        if self._task is not None and not self._task.done():
            self._task.cancel()

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
