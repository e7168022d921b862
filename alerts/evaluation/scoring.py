"""Scoring replayed alerts against labelled episodes: sensitivity, lead time, false alerts, nurse workload.

An episode counts as caught when a nurse-facing (red or yellow) alert attributed to its condition, or a
condition-neutral rule, opened 1–10 days before the event. An alert is false when it opened outside every
episode's window (10 days before to 14 days after the event) of the same patient.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from alerts.evaluation.cohort import Episode
from alerts.evaluation.replay import Opened

WINDOW_BEFORE = 10
WINDOW_AFTER = 14
CASELOAD = 40

_CODE_CONDITIONS: dict[str, set[str]] = {
    "body_weight": {"heart_failure"}, "spo2": {"copd", "heart_failure"}, "fev1": {"copd"}, "pef": {"copd"},
    "body_temp": {"copd"}, "glucose": {"diabetes"}, "bp_systolic": {"hypertension", "heart_failure"},
    "bp_diastolic": {"hypertension", "heart_failure"},
}
_RULE_CONDITIONS: dict[str, set[str]] = {
    "hf_weight": {"heart_failure"}, "guideline_hf": {"heart_failure"}, "copd_exacerbation": {"copd"},
    "guideline_copd": {"copd"}, "glucose_nocturnal_lows": {"diabetes"}, "glucose_sustained_high": {"diabetes"},
    "glucose_time_in_range": {"diabetes"}, "guideline_dm": {"diabetes"}, "bp_home_mean": {"hypertension"},
    "guideline_htn": {"hypertension"}, "guideline_htn_dia": {"hypertension"},
}
ALL = {"heart_failure", "copd", "diabetes", "hypertension"}


def _conditions(rule: str, code: str) -> set[str]:
    if rule in _RULE_CONDITIONS:
        return _RULE_CONDITIONS[rule]
    if rule == "threshold":
        return _CODE_CONDITIONS.get(code, ALL)
    return ALL


def conditions_of(a: Opened) -> set[str]:
    """The conditions an alert speaks to, with those of the related findings folded into it; pulse, NEWS2 and
    the personal baseline speak to all."""
    out = set(_conditions(a.rule, a.code))
    for rule, code in a.also:
        out |= _conditions(rule, code)
    return out


@dataclass
class PatientResult:
    conditions: tuple[str, ...]
    days: int  # monitored days (not admitted)
    episodes: list[Episode]
    alerts: list[Opened]


@dataclass(frozen=True)
class Row:
    label: str
    patients: int
    episodes: int
    caught: int
    median_lead_days: float | None
    false_per_patient_month: float
    nurse_alerts_per_patient_month: float
    review_per_patient_month: float

    @property
    def sensitivity(self) -> float:
        return self.caught / self.episodes if self.episodes else 0.0

    @property
    def per_nurse_day(self) -> float:
        return self.nurse_alerts_per_patient_month / 30 * CASELOAD


def _in_window(day: int, episodes: Sequence[Episode]) -> bool:
    return any(e.event_day - WINDOW_BEFORE <= day <= e.event_day + WINDOW_AFTER for e in episodes)


def score(label: str, results: Sequence[PatientResult], condition: str | None) -> Row:
    """One table row: for one condition's patients (or everyone when condition is None)."""
    chosen = [r for r in results if condition is None or condition in r.conditions]
    months = sum(r.days for r in chosen) / 30 or 1.0
    caught = episodes = false = nurse = review = 0
    leads: list[int] = []
    for r in chosen:
        relevant = [a for a in r.alerts if condition is None or condition in conditions_of(a)]
        for e in r.episodes:
            if condition is not None and e.condition != condition:
                continue
            episodes += 1
            early = [a.day for a in relevant if a.severity != "review" and conditions_of(a) & {e.condition}
                     and e.event_day - WINDOW_BEFORE <= a.day <= e.event_day - 1]
            if early:
                caught += 1
                leads.append(e.event_day - min(early))
        for a in relevant:
            if a.severity == "review":
                review += 1
                continue
            nurse += 1
            if not _in_window(a.day, r.episodes):
                false += 1
    return Row(label, len(chosen), episodes, caught, statistics.median(leads) if leads else None,
               false / months, nurse / months, review / months)
