"""Validation of one MQTT message against the wire model and the measurement codes; pure, no I/O.

The hot path validates a whole message in one call from its bytes into plain dicts (``WireReading``): the same
rules as ``device_profiles.wire``'s models, without building a model per reading, which cost several times the
parse itself in a worker holding thousands of readings (object count and the cyclic collector).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, NotRequired

from pydantic import AwareDatetime, ConfigDict, Field, TypeAdapter, ValidationError, with_config
from typing_extensions import TypedDict  # pydantic needs this one, not typing.TypedDict, before 3.12

from device_profiles.codes import BY_LOINC
from device_profiles.wire import ObservationBatch, WireObservation, gateway_id_from_topic

# A gateway clock may run a little fast; beyond this a measured time "in the future" is not trusted.
CLOCK_SKEW_ALLOWANCE = timedelta(minutes=10)


# These mirror DeviceRef, WireObservation and ObservationBatch field for field (tests/ingest/test_validate.py
# holds them to accepting nothing the models refuse); a field left out of a message is left out of the dict.
@with_config(ConfigDict(extra="forbid"))
class WireDevice(TypedDict):
    id: Annotated[str, Field(min_length=1, max_length=64)]
    profile: Annotated[str, Field(min_length=1, max_length=64)]


@with_config(ConfigDict(extra="forbid"))
class WireReading(TypedDict):
    """One observation of a message as validated; see ``WireObservation`` for what each field means."""

    id: uuid.UUID
    code: Annotated[str, Field(min_length=1, max_length=32)]
    value: float
    unit: Annotated[str, Field(min_length=1, max_length=16)]
    measured_at: AwareDatetime
    received_at: AwareDatetime
    device: WireDevice
    user_index: NotRequired[Annotated[int | None, Field(ge=0, le=255)]]
    source: NotRequired[Literal["automatic", "manual"]]
    flags: NotRequired[tuple[str, ...]]


@with_config(ConfigDict(extra="forbid"))
class WireBatch(TypedDict):
    v: NotRequired[Literal[1]]
    gateway_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
    sent_at: AwareDatetime
    observations: Annotated[list[WireReading], Field(min_length=1, max_length=1000)]


_BATCH: TypeAdapter[WireBatch] = TypeAdapter(WireBatch)


@dataclass(frozen=True)
class Rejected:
    """A message, or one observation of it, that goes to quarantine with its reason."""

    reason: str
    payload: bytes


@dataclass(frozen=True)
class Checked:
    gateway_id: str | None  # the message's gateway, once the message is known to be an observation batch
    accepted: tuple[WireReading, ...]
    rejected: tuple[Rejected, ...]


def reading_json(reading: WireReading) -> bytes:
    """One reading as the gateway sends it (every field), for quarantine and replay; only on the cold path."""
    return WireObservation.model_validate(reading).model_dump_json().encode()


def _short(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    return f"{where}: {first.get('msg', 'invalid')}" if where else str(first.get("msg", "invalid"))


def check_reading(reading: WireReading, now: datetime) -> str | None:
    """The reason this reading cannot be stored, or None if it can."""
    device = reading["device"]
    flags = reading.get("flags", ())
    if "\x00" in device["id"] or "\x00" in device["profile"] or any("\x00" in f for f in flags):
        return "a text field holds a NUL character"  # PostgreSQL text cannot store it
    code = BY_LOINC.get(reading["code"])
    if code is None:
        return f"unknown code {reading['code']!r}"
    value, unit = reading["value"], reading["unit"]
    if unit != code.unit:
        return f"unit {unit!r} is not {code.unit!r} for {code.key}"
    low, high = code.possible
    if not low <= value <= high:
        return f"{code.key} {value:g} {unit} is outside the possible range {low:g}–{high:g}"
    if reading["measured_at"] > now + CLOCK_SKEW_ALLOWANCE:
        return f"measured time {reading['measured_at'].isoformat()} is in the future"
    return None


class _Unparsable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _as_batch(raw: dict[str, Any]) -> WireBatch:
    return raw  # type: ignore[return-value]  # a dumped ObservationBatch has exactly WireBatch's shape


def _parse_slowly(payload: bytes) -> WireBatch:
    """The models' verdict, for what the fast path refused: either the models accept it after all (then it is
    stored as they read it) or the reason, in two steps to tell text that is not JSON from JSON of the wrong
    shape."""
    try:
        return _as_batch(ObservationBatch.model_validate_json(payload).model_dump())
    except ValidationError:
        pass
    try:
        raw = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise _Unparsable(f"not JSON: {exc}") from exc
    try:
        return _as_batch(ObservationBatch.model_validate(raw).model_dump())
    except ValidationError as exc:
        raise _Unparsable(f"not an observation batch: {_short(exc)}") from exc


def check_message(topic: str, payload: bytes, now: datetime, known_gateways: set[str] | None = None) -> Checked:
    """Split a message into storable readings and quarantined parts; never raises on bad input."""
    topic_gateway = gateway_id_from_topic(topic)
    if topic_gateway is None:
        return Checked(None, (), (Rejected(f"topic {topic!r} is not a gateway topic", payload),))
    try:
        batch = _BATCH.validate_json(payload)  # the fast path, for good input
    except ValidationError:
        try:
            batch = _parse_slowly(payload)
        except _Unparsable as exc:
            return Checked(None, (), (Rejected(exc.reason, payload),))
    gateway_id = batch["gateway_id"]
    if gateway_id != topic_gateway:
        reason = f"gateway id {gateway_id!r} in payload differs from topic gateway {topic_gateway!r}"
        return Checked(gateway_id, (), (Rejected(reason, payload),))
    if known_gateways is not None and topic_gateway not in known_gateways:
        return Checked(gateway_id, (), (Rejected(f"unknown gateway {topic_gateway!r}", payload),))
    accepted: list[WireReading] = []
    rejected: list[Rejected] = []
    for reading in batch["observations"]:
        problem = check_reading(reading, now)
        if problem is None:
            accepted.append(reading)
        else:
            rejected.append(Rejected(problem, reading_json(reading)))
    return Checked(gateway_id, tuple(accepted), tuple(rejected))
