"""Virtual rounds: what changed for each patient since this clinician last reviewed them, worst first.

Pure: the query module supplies the counts and the per-measurement means; this decides order and words."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from clinician_ui.i18n import code_for, code_name, number, t, unit_label, when

MISSING_AFTER = timedelta(days=2)
# Trends compare the readings since the review (at most the last three days, so that a week-old change still
# stands out rather than being averaged away) with the fortnight before them.
RECENT = timedelta(days=3)
# A change in the mean since the last review at least this large is worth a GP's look (per measurement key).
TREND_STEPS: dict[str, float] = {
    "body_weight": 2.0, "bp_systolic": 15, "bp_diastolic": 10, "pulse_rate": 15, "spo2": 3, "glucose": 2.0,
    "body_temp": 1.0, "fev1": 0.3, "pef": 50, "fvc": 0.4, "fev1_fvc": 8,
}
MIN_BASELINE = 3


@dataclass(frozen=True)
class Trend:
    code: str  # internal key
    delta: float
    unit: str


@dataclass
class RoundItem:
    patient: dict[str, Any]
    last_review: datetime | None
    last_note: str | None
    new_red: int = 0
    new_yellow: int = 0
    new_review: int = 0
    escalated: int = 0
    missing_days: int | None = None
    trends: list[Trend] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.new_red or self.new_yellow or self.new_review or self.escalated or self.missing_days
                    or self.trends)

    @property
    def score(self) -> int:
        return (100 * self.new_red + 80 * self.escalated + 30 * self.new_yellow + 20 * self.new_review
                + (25 if self.missing_days else 0) + 15 * len(self.trends))


def trends(stats: list[dict[str, Any]]) -> list[Trend]:
    """Recent means against the fortnight before; only steps that matter clinically."""
    found = []
    for s in stats:
        code = code_for(str(s["code"]))
        step = TREND_STEPS.get(code.key) if code else None
        if code is None or step is None or not s["recent_n"] or (s["base_n"] or 0) < MIN_BASELINE:
            continue
        delta = float(s["recent_mean"]) - float(s["base_mean"])
        if abs(delta) >= step:
            found.append(Trend(code.key, delta, code.unit))
    return sorted(found, key=lambda tr: -abs(tr.delta) / TREND_STEPS[tr.code])


def build(patient: dict[str, Any], stats: list[dict[str, Any]], now: datetime) -> RoundItem:
    latest = patient.get("latest_reading_at")
    missing = None
    if latest is None or now - latest >= MISSING_AFTER:
        missing = int((now - latest).total_seconds() // 86400) if latest else -1
    return RoundItem(patient=patient, last_review=patient.get("last_reviewed_at"),
                     last_note=patient.get("last_review_note"), new_red=int(patient.get("new_red") or 0),
                     new_yellow=int(patient.get("new_yellow") or 0), new_review=int(patient.get("new_review") or 0),
                     escalated=int(patient.get("escalated") or 0), missing_days=missing, trends=trends(stats))


def order(items: list[RoundItem]) -> list[RoundItem]:
    """Most changed first; among equals, the one looked at longest ago (never reviewed before all)."""
    return sorted(items, key=lambda i: (-i.score, i.last_review is not None,
                                        i.last_review or datetime.min, str(i.patient["display_name"])))


def summary(item: RoundItem, locale: str, now: datetime) -> list[tuple[str, str]]:
    """(kind, text) parts of the one-line summary; kind styles it (red, yellow, trend, missing, calm)."""
    parts: list[tuple[str, str]] = []
    new = item.new_red + item.new_yellow + item.new_review
    if new:
        detail = ", ".join(t(locale, f"rounds_n_{sev}", n=n) for sev, n in
                           (("red", item.new_red), ("yellow", item.new_yellow), ("review", item.new_review)) if n)
        key = "rounds_new_alert" if new == 1 else "rounds_new_alerts"
        parts.append(("red" if item.new_red else "yellow", t(locale, key, n=new, detail=detail)))
    if item.escalated:
        parts.append(("red", t(locale, "rounds_escalated", n=item.escalated)))
    for tr in item.trends:
        sign = "+" if tr.delta > 0 else "−"
        decimals = 0 if TREND_STEPS[tr.code] >= 5 else 1
        parts.append(("trend", t(locale, "rounds_trend", name=code_name(tr.code, locale),
                                 arrow="↑" if tr.delta > 0 else "↓",
                                 delta=f"{sign}{number(abs(tr.delta), locale, decimals)}",
                                 unit=unit_label(tr.unit, locale))))
    if item.missing_days is not None:
        parts.append(("missing", t(locale, "rounds_no_readings_ever") if item.missing_days < 0
                      else t(locale, "rounds_missing", n=item.missing_days)))
    if not parts:
        parts.append(("calm", t(locale, "rounds_nothing_new", when=when(item.last_review, locale, now))
                      if item.last_review else t(locale, "rounds_nothing_new_fortnight")))
    return parts
