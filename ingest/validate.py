"""Validation of one MQTT message against the wire model and the measurement codes; pure, no I/O."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import ValidationError

from device_profiles.codes import BY_LOINC
from device_profiles.wire import ObservationBatch, WireObservation, gateway_id_from_topic

# A gateway clock may run a little fast; beyond this a measured time "in the future" is not trusted.
CLOCK_SKEW_ALLOWANCE = timedelta(minutes=10)


@dataclass(frozen=True)
class Rejected:
    """A message, or one observation of it, that goes to quarantine with its reason."""

    reason: str
    payload: bytes


@dataclass(frozen=True)
class Checked:
    batch: ObservationBatch | None
    accepted: tuple[WireObservation, ...]
    rejected: tuple[Rejected, ...]


def _short(err: ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    return f"{where}: {first.get('msg', 'invalid')}" if where else str(first.get("msg", "invalid"))


def check_observation(obs: WireObservation, now: datetime) -> str | None:
    """The reason this observation cannot be stored, or None if it can."""
    if any("\x00" in text for text in (obs.device.id, obs.device.profile, *obs.flags)):
        return "a text field holds a NUL character"  # PostgreSQL text cannot store it
    code = BY_LOINC.get(obs.code)
    if code is None:
        return f"unknown code {obs.code!r}"
    if obs.unit != code.unit:
        return f"unit {obs.unit!r} is not {code.unit!r} for {code.key}"
    low, high = code.possible
    if not low <= obs.value <= high:
        return f"{code.key} {obs.value:g} {obs.unit} is outside the possible range {low:g}–{high:g}"
    if obs.measured_at > now + CLOCK_SKEW_ALLOWANCE:
        return f"measured time {obs.measured_at.isoformat()} is in the future"
    return None


class _Unparsable(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _parse_slowly(payload: bytes) -> ObservationBatch:
    """Parse in two steps, to tell text that is not JSON from JSON of the wrong shape."""
    try:
        raw = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise _Unparsable(f"not JSON: {exc}") from exc
    try:
        return ObservationBatch.model_validate(raw)
    except ValidationError as exc:
        raise _Unparsable(f"not an observation batch: {_short(exc)}") from exc


def check_message(topic: str, payload: bytes, now: datetime, known_gateways: set[str] | None = None) -> Checked:
    """Split a message into storable observations and quarantined parts; never raises on bad input."""
    topic_gateway = gateway_id_from_topic(topic)
    if topic_gateway is None:
        return Checked(None, (), (Rejected(f"topic {topic!r} is not a gateway topic", payload),))
    try:
        batch = ObservationBatch.model_validate_json(payload)  # the fast path, for good input
    except ValidationError:
        try:
            batch = _parse_slowly(payload)
        except _Unparsable as exc:
            return Checked(None, (), (Rejected(exc.reason, payload),))
    if batch.gateway_id != topic_gateway:
        reason = f"gateway id {batch.gateway_id!r} in payload differs from topic gateway {topic_gateway!r}"
        return Checked(batch, (), (Rejected(reason, payload),))
    if known_gateways is not None and topic_gateway not in known_gateways:
        return Checked(batch, (), (Rejected(f"unknown gateway {topic_gateway!r}", payload),))
    accepted: list[WireObservation] = []
    rejected: list[Rejected] = []
    for obs in batch.observations:
        problem = check_observation(obs, now)
        if problem is None:
            accepted.append(obs)
        else:
            rejected.append(Rejected(problem, obs.model_dump_json().encode()))
    return Checked(batch, tuple(accepted), tuple(rejected))
