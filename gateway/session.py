"""One connection to one device: clock, subscribe, collect what it sends, decode into wire observations."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import structlog

from device_profiles.battery import BATTERY_LEVEL
from device_profiles.codes import CODES
from device_profiles.date_time import CURRENT_TIME, DATE_TIME, build_current_time, build_date_time
from device_profiles.decoders import decode
from device_profiles.device_information import DEVICE_INFORMATION, decode_device_information
from device_profiles.glucose import GLUCOSE_MEASUREMENT
from device_profiles.glucose_context import GLUCOSE_MEASUREMENT_CONTEXT, JOINED_PREFIXES
from device_profiles.layout import VendorLayout, decode_layout
from device_profiles.reading import DecodedReading, DecodeError
from device_profiles.wire import DeviceRef, WireObservation, observation_id
from gateway.clock import corrected, offset
from gateway.download import Committed, RecordDownload
from gateway.transport import GattError, Link

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class DeviceSpec:
    """What the gateway needs to know of a device model to talk to it (taken from its profile)."""

    profile_id: str
    measurements: tuple[tuple[str, bool], ...]  # (characteristic, indicate?)
    current_time: str = "none"  # "writable", "readable" (read when present) or "none"
    bonding: bool = False
    time_characteristic: str = CURRENT_TIME  # Current Time 0x2A2B or Date Time 0x2A08
    racp: str | None = None  # Record Access Control Point: stored records are asked for, not pushed
    battery: bool = False  # Battery Level 0x2A19 readable
    # Vendor characteristics read by the profile's declared byte layout, by characteristic id.
    layouts: tuple[tuple[str, VendorLayout], ...] = ()
    optional: tuple[str, ...] = ()  # subscriptions the device may lack: carry on without them
    device_information: tuple[str, ...] = ()  # Device Information text characteristics to read

    def decode(self, characteristic: str, payload: bytes) -> DecodedReading:
        """A SIG characteristic by its id, a vendor one by the layout its profile declares."""
        for uuid, layout in self.layouts:
            if uuid == characteristic:
                return decode_layout(layout, characteristic, payload)
        return decode(characteristic, payload)


@dataclass
class SessionResult:
    observations: list[WireObservation]
    clock_offset: timedelta | None
    problems: list[str]
    battery: int | None = None
    # Set only after a complete record download: the runner stores ``last_record`` (None: forget it) once
    # the observations are in the outbox, never before.
    commit_record: bool = False
    last_record: Committed | None = None
    info: dict[str, str] = field(default_factory=dict)  # manufacturer, model, serial, firmware as read


def to_observations(reading: DecodedReading, payload: bytes, device_id: str, profile_id: str,
                    received_at: datetime, device_offset: timedelta | None, tz: ZoneInfo) -> list[WireObservation]:
    """Map one decoded characteristic value to wire observations (special values carry no observation)."""
    if reading.device_time is not None:
        measured_at = corrected(reading.device_time, device_offset or timedelta(0), tz)
    else:
        measured_at = received_at
    # Without a time stamp or sequence the payload alone does not tell two days apart: anchor on receipt.
    anchor = None if reading.device_time is not None or reading.sequence is not None else received_at.isoformat()
    out: list[WireObservation] = []
    if "control_solution" in reading.flags:
        # A control-solution test measures the meter, not the patient.
        log.info("device_control_test", device=device_id, characteristic=reading.characteristic)
        return out
    for m in reading.measurements:
        if m.value is None:
            log.info("device_no_value", device=device_id, code=m.code, reason=m.no_value_reason)
            continue
        code = CODES.get(m.code)
        if code is None or not code.clinical:
            continue  # e.g. battery level: device health, not a patient observation
        out.append(WireObservation(
            id=observation_id(device_id, reading.characteristic, payload, m.code, anchor),
            code=code.loinc, value=round(m.value, 4), unit=m.unit, measured_at=measured_at.astimezone(UTC),
            received_at=received_at, device=DeviceRef(id=device_id, profile=profile_id),
            user_index=reading.user_index, flags=reading.flags,
        ))
    return out


async def run_session(link: Link, address: str, spec: DeviceSpec, tz: ZoneInfo, *,
                      idle_timeout: float = 3.0, now: Callable[[], datetime] = lambda: datetime.now(UTC),
                      last_record: Committed | None = None) -> SessionResult:
    """Talk to a connected device until it hangs up, goes quiet or has sent the records asked for; never
    raises on device faults. ``last_record`` is the newest stored record already committed (RACP meters)."""
    result = SessionResult([], None, [])
    received: list[tuple[bytes, str, datetime]] = []
    known: set[bytes] = set()  # stored records already committed in an earlier session
    got_data = asyncio.Event()
    try:
        if spec.current_time in ("readable", "writable"):
            result.clock_offset = await _sync_clock(link, spec, tz, now)
        if spec.battery:
            result.battery = await _read_battery(link)
        result.info = await _read_device_information(link, spec.device_information)
        for characteristic, indicate in spec.measurements:
            def on_value(data: bytes, characteristic: str = characteristic) -> None:
                received.append((bytes(data), characteristic, now()))
                got_data.set()

            try:
                await link.subscribe(characteristic, on_value, indicate=indicate)
            except GattError as exc:
                if characteristic not in spec.optional:
                    raise
                log.debug("device_optional_characteristic_absent", device=address,
                          characteristic=characteristic, reason=str(exc))
        if spec.racp is not None:
            download = RecordDownload(link, received, characteristic=spec.racp)
            # [GLP 1.0] the meter refuses RACP writes until the measurement notifications and the RACP
            # indications are both enabled, hence this order.
            await link.subscribe(spec.racp, download.on_indication, indicate=True)
            known = download.known
            outcome = await download.run(last_record)
            result.commit_record, result.last_record = True, outcome.newest
            log.debug("device_records_downloaded", device=address, reset=outcome.reset, received=len(received),
                      last=last_record.sequence if last_record else None,
                      newest=outcome.newest.sequence if outcome.newest else None)
        else:
            while link.is_connected:
                got_data.clear()
                if await link.wait_disconnected(idle_timeout):
                    break
                if not got_data.is_set():
                    break
    except Exception as exc:  # a device that drops mid-transfer keeps what arrived so far
        result.problems.append(f"{type(exc).__name__}: {exc}")
        log.warning("device_session_interrupted", device=address, error=str(exc), received=len(received))
    finally:
        if link.is_connected:
            await link.disconnect()
    decoded: list[tuple[DecodedReading, bytes, datetime]] = []
    for payload, characteristic, at in received:
        if payload in known:
            continue
        try:
            decoded.append((spec.decode(characteristic, payload), payload, at))
        except DecodeError as exc:
            result.problems.append(f"{characteristic} {payload.hex()}: {exc}")
            log.warning("device_payload_undecodable", device=address, characteristic=characteristic,
                        payload=payload.hex(), reason=str(exc))
    for reading, payload, at in join_glucose_context(decoded):
        if reading.measurements:
            result.observations.extend(
                to_observations(reading, payload, address, spec.profile_id, at, result.clock_offset, tz))
    return result


Decoded = list[tuple[DecodedReading, bytes, datetime]]


def join_glucose_context(decoded: Decoded) -> Decoded:
    """Fold each Glucose Measurement Context into the measurement with its sequence number whose "context
    follows" flag is set: the measurement gains the meal/tester/health flags, and an HbA1c in the context
    becomes an observation dated like that measurement (and identified by its payload). A context without
    its measurement (already committed, or never sent) is dropped: it says nothing on its own."""
    contexts: dict[int, DecodedReading] = {}
    for reading, _, _ in decoded:
        if reading.characteristic == GLUCOSE_MEASUREMENT_CONTEXT and reading.sequence is not None:
            contexts[reading.sequence] = reading
    out: Decoded = []
    for reading, payload, at in decoded:
        if reading.characteristic == GLUCOSE_MEASUREMENT_CONTEXT:
            continue
        context = contexts.get(reading.sequence) if reading.sequence is not None else None
        if (reading.characteristic == GLUCOSE_MEASUREMENT and context is not None
                and "context_follows" in reading.flags):
            joined = tuple(f for f in context.flags if f.startswith(JOINED_PREFIXES))
            reading = replace(reading, measurements=reading.measurements + context.measurements,
                              flags=reading.flags + joined)
        out.append((reading, payload, at))
    return out


async def _read_device_information(link: Link, characteristics: tuple[str, ...]) -> dict[str, str]:
    """Manufacturer, model, serial number and firmware as the device states them; absent ones are left out."""
    info: dict[str, str] = {}
    for characteristic in characteristics:
        try:
            text = decode_device_information(characteristic, await link.read(characteristic))
        except (GattError, DecodeError) as exc:
            log.debug("device_information_unreadable", characteristic=characteristic, reason=str(exc))
            continue
        if text:
            info[DEVICE_INFORMATION[characteristic][1]] = text
    return info


async def _read_battery(link: Link) -> int | None:
    try:
        reading = decode(BATTERY_LEVEL, await link.read(BATTERY_LEVEL))
    except (GattError, DecodeError) as exc:
        log.info("device_battery_unreadable", reason=str(exc))
        return None
    return int(reading.measurements[0].value or 0)


async def _sync_clock(link: Link, spec: DeviceSpec, tz: ZoneInfo, now: Callable[[], datetime]) -> timedelta | None:
    """Measure the device clock's offset; set the clock when the profile allows it."""
    characteristic = spec.time_characteristic
    try:
        reading = decode(characteristic, await link.read(characteristic))
    except (GattError, DecodeError) as exc:
        # No readable clock: time stamps are taken as they come. Logged, since they may be off.
        log.warning("device_clock_unreadable", characteristic=characteristic, reason=str(exc))
        return None
    if reading.device_time is None:
        return None
    measured = offset(reading.device_time, now().astimezone(tz))
    if spec.current_time == "writable" and abs(measured) > timedelta(seconds=2):
        local_now = now().astimezone(tz).replace(tzinfo=None)
        value = (build_date_time(local_now) if characteristic == DATE_TIME
                 else build_current_time(local_now, adjust_reasons=("manual_time_update",)))
        try:
            await link.write(characteristic, value)
            log.info("device_clock_set", offset_s=measured.total_seconds())
        except GattError as exc:
            log.warning("device_clock_not_set", characteristic=characteristic, reason=str(exc))
        # Records already stored were stamped by the old clock; the offset measured now still applies to them.
    return measured
