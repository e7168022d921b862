"""Red/yellow range rule: one reading outside the patient's ranges opens or updates an alert.

Source: the Danish national telemonitoring (FUT) practice of per-patient red and yellow measurement ranges;
default ranges in alerts.thresholds. A yellow alert closes by itself when a later reading is back in range;
a red alert waits for a clinician. After a clinician resolves one, the same measurement stays quiet for
REARM unless it gets worse: a habitual yellow the nurse has just handled is not news.

A yellow opens only when confirmed: the measurement's previous reading (within CONFIRM_WITHIN) was outside the
yellow range on the same side too. One home reading is not a basis for action (ESH 2021 position paper on home
blood pressure monitoring: decide on repeated readings; FUT practice: "measure again" on a yellow value), and a
single artefact (cuff movement, cold fingers) should not reach the nurse. A red value opens at once.
"""

from __future__ import annotations

from datetime import timedelta

from alerts.explain import threshold_text
from alerts.model import SEVERITY_RANK, Action, AutoResolve, Finding, LiveAlert, Open, Reading, Update
from alerts.thresholds import Bands

RULE = "threshold"
REARM = timedelta(days=3)
CONFIRM_WITHIN = timedelta(days=3)


def confirmed(finding: Finding, previous: Reading | None, bands: Bands) -> bool:
    """Whether a new alert may open on this finding: red at once, yellow only on a second reading out of range."""
    if finding.severity == "red":
        return True
    if previous is None or not timedelta(0) < finding.reading.measured_at - previous.measured_at <= CONFIRM_WITHIN:
        return False
    verdict = bands.classify(previous.value)
    return verdict is not None and verdict[1] == finding.explanation.get("side")


def find(reading: Reading, bands: Bands) -> Finding | None:
    verdict = bands.classify(reading.value)
    if verdict is None:
        return None
    severity, side, bound = verdict
    explanation: dict[str, object] = {
        "rule": RULE,
        "code": reading.code,
        "severity": severity,
        "side": side,
        "bound": bound,
        "value": reading.value,
        "unit": reading.unit,
        "observed_at": reading.measured_at.isoformat(),
        "values": [{"at": reading.measured_at.isoformat(), "value": reading.value}],
        "text": threshold_text(reading.code, reading.value, reading.unit, side, bound, severity),
    }
    return Finding(RULE, reading.code, severity, reading, explanation)


def evaluate(reading: Reading, bands: Bands, live: LiveAlert | None) -> Action | None:
    """What one new reading means for the live threshold alert of its measurement (if any)."""
    if live is not None and reading.id in live.evidence:
        return None  # already counted: redelivery or replay
    finding = find(reading, bands)
    if finding is None:
        if live is not None and live.severity == "yellow" and reading.measured_at > live.observed_at:
            return AutoResolve(live.id, reading)
        return None
    if live is None:
        return Open(finding)
    severity = finding.severity if SEVERITY_RANK[finding.severity] > SEVERITY_RANK[live.severity] else live.severity
    return Update(live.id, finding, severity)
