"""One connection to one device: clock, subscribe, collect what it sends, decode into wire observations."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import structlog

from device_profiles.codes import CODES
from device_profiles.decoders import decode
from device_profiles.reading import DecodedReading, DecodeError
from device_profiles.wire import DeviceRef, WireObservation, observation_id
from gateway.clock import corrected, offset
from gateway.transport import Link

log = structlog.get_logger(__name__)

CURRENT_TIME = "2a2b"


@dataclass(frozen=True)
class DeviceSpec:
    """What the gateway needs to know of a device model to talk to it (taken from its profile)."""

    profile_id: str
    measurements: tuple[tuple[str, bool], ...]  # (characteristic, indicate?)
    current_time: str = "none"  # "writable", "readable" or "none"
    bonding: bool = False


@dataclass
class SessionResult:
    observations: list[WireObservation]
    clock_offset: timedelta | None
    problems: list[str]


def to_observations(reading: DecodedReading, payload: bytes, device_id: str, profile_id: str,
                    received_at: datetime, device_offset: timedelta | None, tz: ZoneInfo) -> list[WireObservation]:
    """Map one decoded characteristic value to wire observations (special values carry no observation)."""
    if reading.device_time is not None:
        measured_at = corrected(reading.device_time, device_offset or timedelta(0), tz)
    else:
        measured_at = received_at
    # Without a time stamp or sequence the payload alone does not tell two days apart: anchor on receipt.
    anchor = None if reading.device_time is not None or reading.sequence is not None else received_at.isoformat()
    out = []
    for m in reading.measurements:
        if m.value is None:
            log.info("device_no_value", device=device_id, code=m.code, reason=m.no_value_reason)
            continue
        code = CODES.get(m.code)
        if code is None:
            continue
        out.append(WireObservation(
            id=observation_id(device_id, reading.characteristic, payload, m.code, anchor),
            code=code.loinc, value=round(m.value, 4), unit=m.unit, measured_at=measured_at.astimezone(UTC),
            received_at=received_at, device=DeviceRef(id=device_id, profile=profile_id),
            user_index=reading.user_index, flags=reading.flags,
        ))
    return out


async def run_session(link: Link, address: str, spec: DeviceSpec, tz: ZoneInfo, *,
                      idle_timeout: float = 3.0, now: Callable[[], datetime] = lambda: datetime.now(UTC)
                      ) -> SessionResult:
    """Talk to a connected device until it hangs up or goes quiet; never raises on device faults."""
    problems: list[str] = []
    device_offset: timedelta | None = None
    received: list[tuple[bytes, str, datetime]] = []
    got_data = asyncio.Event()
    try:
        if spec.current_time in ("readable", "writable"):
            device_offset = await _sync_clock(link, spec, tz, now)
        for characteristic, indicate in spec.measurements:
            def on_value(data: bytes, characteristic: str = characteristic) -> None:
                received.append((bytes(data), characteristic, now()))
                got_data.set()

            await link.subscribe(characteristic, on_value, indicate=indicate)
        while link.is_connected:
            got_data.clear()
            if await link.wait_disconnected(idle_timeout):
                break
            if not got_data.is_set():
                break
    except Exception as exc:  # a device that drops mid-transfer keeps what arrived so far
        problems.append(f"{type(exc).__name__}: {exc}")
        log.warning("device_session_interrupted", device=address, error=str(exc), received=len(received))
    finally:
        if link.is_connected:
            await link.disconnect()
    observations: list[WireObservation] = []
    for payload, characteristic, at in received:
        try:
            reading = decode(characteristic, payload)
        except DecodeError as exc:
            problems.append(f"{characteristic} {payload.hex()}: {exc}")
            log.warning("device_payload_undecodable", device=address, characteristic=characteristic,
                        payload=payload.hex(), reason=str(exc))
            continue
        if reading.measurements:
            observations.extend(to_observations(reading, payload, address, spec.profile_id, at, device_offset, tz))
    return SessionResult(observations, device_offset, problems)


async def _sync_clock(link: Link, spec: DeviceSpec, tz: ZoneInfo, now: Callable[[], datetime]) -> timedelta | None:
    from device_profiles.date_time import build_current_time

    try:
        raw = await link.read(CURRENT_TIME)
        reading = decode(CURRENT_TIME, raw)
    except DecodeError as exc:
        log.warning("device_clock_unreadable", reason=str(exc))
        return None
    if reading.device_time is None:
        return None
    measured = offset(reading.device_time, now().astimezone(tz))
    if spec.current_time == "writable" and abs(measured) > timedelta(seconds=2):
        await link.write(CURRENT_TIME, build_current_time(now().astimezone(tz).replace(tzinfo=None),
                                                          adjust_reasons=("manual_time_update",)))
        log.info("device_clock_set", offset_s=measured.total_seconds())
        # Records already stored were stamped by the old clock; the offset still applies to them.
    return measured
