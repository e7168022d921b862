"""The lean validator of the hot path against the wire models: it accepts nothing the models refuse and reads
what it accepts as they do; every rule still rejects with its reason."""

from __future__ import annotations

import copy
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from device_profiles.wire import ObservationBatch, topic
from ingest.validate import _BATCH, check_message
from tests.support.wire_fuzz import JSON, PATHS

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GATEWAY = "kit-1"
VALID: dict[str, Any] = {
    "v": 1, "gateway_id": GATEWAY, "sent_at": NOW.isoformat(),
    "observations": [{
        "id": str(uuid.uuid4()), "code": "8480-6", "value": 131, "unit": "mm[Hg]",
        "measured_at": (NOW - timedelta(minutes=5)).isoformat(), "received_at": NOW.isoformat(),
        "device": {"id": "C0:00:00:00:00:01", "profile": "and_ua651ble"}, "user_index": 1, "source": "automatic",
        "flags": ["irregular_pulse"],
    }],
}



def _mutated(path: tuple[str | int, ...], value: Any, drop: bool) -> bytes:
    doc = copy.deepcopy(VALID)
    target: Any = doc
    for key in path[:-1]:
        target = target[key]
    if drop and isinstance(target, dict):
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value
    return json.dumps(doc).encode()


def _lean(payload: bytes) -> dict[str, Any] | None:
    try:
        return dict(_BATCH.validate_json(payload))
    except ValidationError:
        return None


def _model(payload: bytes) -> dict[str, Any] | None:
    try:
        return ObservationBatch.model_validate_json(payload).model_dump()
    except ValidationError:
        return None


@settings(max_examples=400, deadline=None)
@given(PATHS, JSON, st.booleans())
def test_the_lean_validator_accepts_exactly_what_the_models_accept(path: tuple[str | int, ...], value: Any,
                                                                    drop: bool) -> None:
    payload = _mutated(path, value, drop)
    lean, model = _lean(payload), _model(payload)
    assert (lean is None) == (model is None), payload
    if lean is not None and model is not None:
        # Defaults the message left out are applied when the reading is bound; the rest is read alike.
        for got, want in zip(lean["observations"], model["observations"], strict=True):
            assert {k: v for k, v in want.items() if k in got} == {k: (tuple(v) if k == "flags" else v)
                                                                   for k, v in got.items()}


def test_a_valid_message_is_accepted_as_the_model_reads_it() -> None:
    checked = check_message(topic(GATEWAY, "obs"), json.dumps(VALID).encode(), NOW, {GATEWAY})
    assert checked.rejected == () and checked.gateway_id == GATEWAY
    (reading,) = checked.accepted
    assert reading["value"] == 131.0 and isinstance(reading["value"], float)
    assert reading["id"] == uuid.UUID(VALID["observations"][0]["id"])
    assert reading["measured_at"] == NOW - timedelta(minutes=5)


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("code", "1234-5", "unknown code '1234-5'"),
        ("unit", "kPa", "unit 'kPa' is not 'mm[Hg]' for bp_systolic"),
        ("value", 900, "bp_systolic 900 mm[Hg] is outside the possible range"),
        ("measured_at", (NOW + timedelta(minutes=11)).isoformat(), "is in the future"),
        ("flags", ["a\x00b"], "a text field holds a NUL character"),
    ],
)
def test_each_rule_rejects_the_reading_with_its_reason(field: str, value: Any, reason: str) -> None:
    doc = copy.deepcopy(VALID)
    good = copy.deepcopy(doc["observations"][0])
    doc["observations"][0][field] = value
    doc["observations"].append(good | {"id": str(uuid.uuid4())})
    checked = check_message(topic(GATEWAY, "obs"), json.dumps(doc).encode(), NOW, {GATEWAY})
    assert len(checked.accepted) == 1
    (rejected,) = checked.rejected
    assert reason in rejected.reason
    stored = json.loads(rejected.payload)  # the one reading, every field, ready for replay
    assert stored["id"] == doc["observations"][0]["id"] and stored["source"] == "automatic"


def test_clock_skew_within_the_allowance_is_accepted() -> None:
    doc = copy.deepcopy(VALID)
    doc["observations"][0]["measured_at"] = (NOW + timedelta(minutes=9)).isoformat()
    checked = check_message(topic(GATEWAY, "obs"), json.dumps(doc).encode(), NOW, {GATEWAY})
    assert len(checked.accepted) == 1 and checked.rejected == ()


def test_message_level_rules() -> None:
    payload = json.dumps(VALID).encode()
    spoofed = check_message(topic("kit-2", "obs"), payload, NOW, {GATEWAY, "kit-2"})
    assert spoofed.accepted == () and "differs from topic gateway 'kit-2'" in spoofed.rejected[0].reason
    unknown = check_message(topic(GATEWAY, "obs"), payload, NOW, {"kit-2"})
    assert unknown.accepted == () and unknown.rejected[0].reason == f"unknown gateway {GATEWAY!r}"
    wrong_topic = check_message("elsewhere/obs", payload, NOW, {GATEWAY})
    assert wrong_topic.accepted == () and "is not a gateway topic" in wrong_topic.rejected[0].reason
    not_json = check_message(topic(GATEWAY, "obs"), b"{oops", NOW, {GATEWAY})
    assert not_json.rejected[0].reason.startswith("not JSON") and not_json.rejected[0].payload == b"{oops"
