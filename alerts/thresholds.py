"""Default red and yellow ranges per condition programme and measurement, and how programmes combine.

Sources: Danish FUT telemonitoring red/yellow practice; GOLD 2024 (SpO2 88–92 % target in COPD);
ADA/International Consensus on hypoglycaemia levels (< 3.9 and < 3.0 mmol/L); > 20 mmol/L red;
ESH 2023 (≥ 180/110–120 mmHg severe hypertension). Per-patient overrides come on top of these.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["red", "yellow"]
PROGRAMMES = ("copd", "heart_failure", "diabetes", "hypertension")


@dataclass(frozen=True)
class Bands:
    """A value below red_low or above red_high is red; below yellow_low or above yellow_high is yellow."""

    red_low: float | None = None
    yellow_low: float | None = None
    yellow_high: float | None = None
    red_high: float | None = None

    def classify(self, value: float) -> tuple[Severity, str, float] | None:
        """Severity, which side ("low"/"high") and the bound crossed; None when inside the normal range."""
        if self.red_low is not None and value < self.red_low:
            return "red", "low", self.red_low
        if self.red_high is not None and value > self.red_high:
            return "red", "high", self.red_high
        if self.yellow_low is not None and value < self.yellow_low:
            return "yellow", "low", self.yellow_low
        if self.yellow_high is not None and value > self.yellow_high:
            return "yellow", "high", self.yellow_high
        return None


_PULSE = Bands(red_low=40, yellow_low=50, yellow_high=100, red_high=120)
_SYSTOLIC = Bands(red_low=80, yellow_low=90, yellow_high=160, red_high=179)
_DIASTOLIC = Bands(yellow_low=50, yellow_high=100, red_high=119)

DEFAULTS: dict[str, dict[str, Bands]] = {
    "hypertension": {"bp_systolic": _SYSTOLIC, "bp_diastolic": _DIASTOLIC, "pulse_rate": _PULSE},
    "heart_failure": {
        "bp_systolic": Bands(red_low=85, yellow_low=95, yellow_high=160, red_high=179),
        "bp_diastolic": _DIASTOLIC,
        "pulse_rate": _PULSE,
        "spo2": Bands(red_low=90, yellow_low=93),
    },
    "copd": {
        "spo2": Bands(red_low=88, yellow_low=91),
        "pulse_rate": _PULSE,
        "body_temp": Bands(red_low=35.0, yellow_low=36.0, yellow_high=38.0, red_high=39.0),
    },
    # A single reading above 13.9 after a meal is common; several are the sustained-hyperglycaemia rule's job.
    "diabetes": {"glucose": Bands(red_low=3.0, yellow_low=3.9, red_high=20.0)},
}

# Where a programme is the specialist for a measurement, its ranges win over the others' (a COPD patient's
# habitual SpO2 of 89 % is not a heart-failure red); otherwise the tightest bound of all programmes applies.
_OWNER = {"spo2": "copd", "glucose": "diabetes"}


def _tightest(a: Bands, b: Bands) -> Bands:
    def hi(x: float | None, y: float | None) -> float | None:
        return x if y is None else y if x is None else max(x, y)

    def lo(x: float | None, y: float | None) -> float | None:
        return x if y is None else y if x is None else min(x, y)

    return Bands(red_low=hi(a.red_low, b.red_low), yellow_low=hi(a.yellow_low, b.yellow_low),
                 yellow_high=lo(a.yellow_high, b.yellow_high), red_high=lo(a.red_high, b.red_high))


def programmes_for(conditions: list[str] | tuple[str, ...]) -> list[str]:
    """Every monitored patient also rides the hypertension programme."""
    progs = [c for c in conditions if c in DEFAULTS]
    if "hypertension" not in progs:
        progs.append("hypertension")
    return progs


def bands_for(conditions: list[str] | tuple[str, ...], code: str) -> Bands | None:
    """The ranges that apply to one measurement for a patient in these programmes, or None if none do."""
    progs = programmes_for(conditions)
    owner = _OWNER.get(code)
    if owner in progs and code in DEFAULTS[owner]:
        return DEFAULTS[owner][code]
    found = [DEFAULTS[p][code] for p in progs if code in DEFAULTS[p]]
    if not found:
        return None
    result = found[0]
    for b in found[1:]:
        result = _tightest(result, b)
    return result
