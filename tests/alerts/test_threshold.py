"""Table-driven cases for the red/yellow range rule and how programmes combine."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from alerts.model import AutoResolve, LiveAlert, Open, Reading, Update
from alerts.rules import threshold
from alerts.thresholds import bands_for

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def reading(code: str, value: float, minutes: int = 0, unit: str = "mm[Hg]") -> Reading:
    return Reading(uuid.uuid4(), code, value, unit, T0 + timedelta(minutes=minutes))


@pytest.mark.parametrize(
    ("conditions", "code", "value", "expected"),
    [
        (("heart_failure",), "bp_systolic", 186, "red"),
        (("heart_failure",), "bp_systolic", 180, "red"),  # ESH: ≥ 180 is severe
        (("heart_failure",), "bp_systolic", 179, "yellow"),
        (("heart_failure",), "bp_systolic", 165, "yellow"),
        (("heart_failure",), "bp_systolic", 130, None),
        (("heart_failure",), "bp_systolic", 84, "red"),  # HF: symptomatic hypotension
        (("copd",), "bp_systolic", 84, "yellow"),  # hypertension defaults: red only below 80
        (("copd",), "spo2", 87, "red"),  # GOLD: below 88 %
        (("copd",), "spo2", 89, "yellow"),
        (("copd",), "spo2", 92, None),
        (("heart_failure",), "spo2", 89, "red"),
        (("copd", "heart_failure"), "spo2", 89, "yellow"),  # COPD owns SpO2: habitual 89 % is not red
        (("diabetes",), "glucose", 2.8, "red"),  # level 2 hypoglycaemia < 3.0
        (("diabetes",), "glucose", 3.5, "yellow"),  # level 1 < 3.9
        (("diabetes",), "glucose", 14.2, None),  # one high reading: the sustained-high rule counts them
        (("diabetes",), "glucose", 21.0, "red"),
        (("diabetes",), "glucose", 7.0, None),
        (("diabetes",), "bp_diastolic", 121, "red"),  # everyone rides the hypertension programme
        (("copd",), "glucose", 2.0, None),  # no diabetes programme, no glucose ranges
    ],
)
def test_classification(conditions: tuple[str, ...], code: str, value: float, expected: str | None) -> None:
    bands = bands_for(conditions, code)
    finding = threshold.find(reading(code, value), bands) if bands else None
    assert (finding.severity if finding else None) == expected


def test_new_red_opens_an_alert_with_a_plain_explanation() -> None:
    r = reading("bp_systolic", 186)
    action = threshold.evaluate(r, bands_for(("heart_failure",), "bp_systolic"), None)
    assert isinstance(action, Open)
    text = action.finding.explanation["text"]
    assert text["en"] == "Systolic blood pressure 186 mmHg is above the red limit 179 mmHg."
    assert text["da"] == "Systolisk blodtryk 186 mmHg er over den røde grænse 179 mmHg."


def test_worse_evidence_raises_severity_and_milder_keeps_it() -> None:
    bands = bands_for(("heart_failure",), "bp_systolic")
    live = LiveAlert(1, "threshold", "bp_systolic", "yellow", "open", T0)
    up = threshold.evaluate(reading("bp_systolic", 190, 10), bands, live)
    assert isinstance(up, Update) and up.severity == "red"
    red = LiveAlert(1, "threshold", "bp_systolic", "red", "open", T0)
    same = threshold.evaluate(reading("bp_systolic", 165, 10), bands, red)
    assert isinstance(same, Update) and same.severity == "red"


def test_redelivered_reading_does_nothing() -> None:
    r = reading("bp_systolic", 190)
    live = LiveAlert(1, "threshold", "bp_systolic", "red", "open", T0, evidence=(r.id,))
    assert threshold.evaluate(r, bands_for(("heart_failure",), "bp_systolic"), live) is None


def test_yellow_resolves_itself_when_a_later_value_is_normal_but_red_waits() -> None:
    bands = bands_for(("heart_failure",), "bp_systolic")
    yellow = LiveAlert(1, "threshold", "bp_systolic", "yellow", "open", T0)
    assert isinstance(threshold.evaluate(reading("bp_systolic", 130, 30), bands, yellow), AutoResolve)
    # An older normal value (late data) does not close it.
    assert threshold.evaluate(reading("bp_systolic", 130, -30), bands, yellow) is None
    red = LiveAlert(1, "threshold", "bp_systolic", "red", "open", T0)
    assert threshold.evaluate(reading("bp_systolic", 130, 30), bands, red) is None
