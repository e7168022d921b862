"""Consolidation as a table: which findings on one reading fold into which live alert (pure, no database)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from alerts.consolidate import merge, merged_explanation, plan, related
from alerts.model import Finding, Fold, LiveAlert, Open, Reading, Severity, Update
from alerts.rules import threshold
from alerts.thresholds import Bands
from tests.alerts.build import AT, reading

SPO2 = reading("spo2", 86, AT)
GLUCOSE = reading("glucose", 2.9, AT)
OTHER = reading("spo2", 87, AT - timedelta(days=1))
SYSTOLIC = reading("bp_systolic", 188, AT)


def finding(rule: str, code: str, severity: Severity, r: Reading) -> Finding:
    return Finding(rule, code, severity, r, {"severity": severity, "text": {"en": f"{rule} says so.", "da": "x."}})


def live(alert_id: int, rule: str, code: str, severity: Severity, *evidence: uuid.UUID,
         folded: frozenset[tuple[str, str, str]] = frozenset(), observed_at: datetime = AT) -> LiveAlert:
    return LiveAlert(alert_id, rule, code, severity, "open", observed_at, evidence, folded)


CASES = [
    # (opens, live alerts, expected: ("open", rule, severity, folded rules) or ("fold", alert id, rule))
    ("spo2 86: threshold, copd and baseline open together → one red threshold alert",
     [finding("threshold", "spo2", "red", SPO2), finding("copd_exacerbation", "", "red", SPO2),
      finding("personal_baseline", "", "yellow", SPO2)], [],
     [("open", "threshold", "red", ("copd_exacerbation", "personal_baseline"))]),
    ("night glucose 2.9: threshold red and nocturnal lows red → one alert",
     [finding("threshold", "glucose", "red", GLUCOSE), finding("glucose_nocturnal_lows", "glucose", "red", GLUCOSE)],
     [], [("open", "threshold", "red", ("glucose_nocturnal_lows",))]),
    ("a yellow threshold and a red copd finding: the red one heads",
     [finding("threshold", "spo2", "yellow", SPO2), finding("copd_exacerbation", "", "red", SPO2)], [],
     [("open", "copd_exacerbation", "red", ("threshold",))]),
    ("copd finding on a reading a live threshold alert holds → fold",
     [finding("copd_exacerbation", "", "red", SPO2)], [live(7, "threshold", "spo2", "yellow", SPO2.id)],
     [("fold", 7, "copd_exacerbation")]),
    ("already folded (redelivery) → nothing",
     [finding("copd_exacerbation", "", "red", SPO2)],
     [live(7, "threshold", "spo2", "red", SPO2.id, folded=frozenset({("copd_exacerbation", "", str(SPO2.id))}))],
     []),
    ("unrelated rule on the same reading → its own alert",
     [finding("glucose_sustained_high", "glucose", "yellow", SPO2)], [live(7, "threshold", "spo2", "red", SPO2.id)],
     [("open", "glucose_sustained_high", "yellow", ())]),
    ("related rule but other evidence → its own alert",
     [finding("copd_exacerbation", "", "yellow", SPO2)],
     [live(7, "threshold", "spo2", "red", OTHER.id, observed_at=OTHER.measured_at)],
     [("open", "copd_exacerbation", "yellow", ())]),
    ("one cuff reading: diastolic red beside a live systolic alert of the same instant → fold",
     [finding("threshold", "bp_diastolic", "red", reading("bp_diastolic", 121, AT))],
     [live(5, "threshold", "bp_systolic", "red", SYSTOLIC.id)],
     [("fold", 5, "threshold")]),
    ("one cuff reading: systolic and diastolic red together → one alert",
     [finding("threshold", "bp_systolic", "red", SYSTOLIC), finding("threshold", "bp_diastolic", "red",
                                                                     reading("bp_diastolic", 121, AT))],
     [], [("open", "threshold", "red", ("threshold",))]),
    ("weight: hf_weight on a reading a weight threshold alert holds → fold",
     [finding("hf_weight", "body_weight", "red", SPO2)], [live(3, "threshold", "body_weight", "yellow", SPO2.id)],
     [("fold", 3, "hf_weight")]),
]


@pytest.mark.parametrize(("opens", "live_alerts", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_consolidation_table(opens: list[Finding], live_alerts: list[LiveAlert], expected: list[tuple]) -> None:
    got: list[tuple] = []
    for a in plan([Open(f) for f in opens], live_alerts):
        if isinstance(a, Fold):
            got.append(("fold", a.alert_id, a.finding.rule))
        else:
            assert isinstance(a, Open)
            also = a.finding.explanation.get("also", [])
            got.append(("open", a.finding.rule, a.finding.severity,
                        tuple(x["rule"] for x in also)))  # type: ignore[union-attr]
    assert got == expected


def test_updates_pass_through_and_their_evidence_counts() -> None:
    own = live(5, "copd_exacerbation", "", "yellow", OTHER.id)
    upd = Update(5, finding("copd_exacerbation", "", "yellow", SPO2), "yellow")
    out = plan([upd, Open(finding("threshold", "spo2", "red", SPO2))], [own])
    assert out == [upd, Fold(5, out[1].finding)]  # type: ignore[union-attr]


def test_merged_text_reads_as_one_alert_in_both_languages() -> None:
    head = threshold.find(SPO2, Bands(red_low=88, yellow_low=91))
    assert head is not None
    m = merge(head, [finding("copd_exacerbation", "", "red", SPO2)])
    text = m.explanation["text"]
    assert text["en"].endswith("Also: copd_exacerbation says so.")  # type: ignore[index]
    assert " Desuden: " in text["da"]  # type: ignore[index]
    again = merged_explanation(m.explanation, finding("copd_exacerbation", "", "red", SPO2))
    assert again["text"] == text  # the same rule replaces its own sentence, it does not repeat it


def test_groups() -> None:
    assert related(("threshold", "spo2"), ("news2", ""))
    assert related(("threshold", "glucose"), ("glucose_sustained_high", "glucose"))
    assert not related(("threshold", "glucose"), ("copd_exacerbation", ""))
    assert not related(("threshold", "spo2"), ("threshold", "spo2"))


CONFIRM = [  # (previous value, hours before, new value, opens?)
    (None, 0, 90.0, False),  # a single yellow is not confirmed
    (90.0, 20, 90.0, True),  # two yellows in a row
    (95.0, 20, 90.0, False),  # previous in range
    (90.0, 24 * 4, 90.0, False),  # previous too old
    (None, 0, 86.0, True),  # red opens at once
]


@pytest.mark.parametrize(("prev", "hours", "value", "opens"), CONFIRM)
def test_yellow_needs_a_second_reading(prev: float | None, hours: int, value: float, opens: bool) -> None:
    bands = Bands(red_low=88, yellow_low=91, yellow_high=99)
    new = reading("spo2", value, AT)
    f = threshold.find(new, bands)
    assert f is not None
    before = reading("spo2", prev, AT - timedelta(hours=hours)) if prev is not None else None
    assert threshold.confirmed(f, before, bands) is opens
