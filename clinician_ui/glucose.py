"""Glucose summaries for diabetes: an AGP-style daily profile, time in ranges and GMI.

Ranges and targets follow the International Consensus on Time in Range (Battelino et al., Diabetes Care 2019);
GMI follows Bergenstal et al., Diabetes Care 2018: GMI (%) = 3.31 + 0.02392 × mean glucose (mg/dL)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import datetime

from clinician_ui.i18n import TZ

MG_PER_MMOL = 18.016
DAYS = 14
# (key, lower bound inclusive, upper bound exclusive) in mmol/L; readings carry one decimal.
RANGES: tuple[tuple[str, float, float], ...] = (
    ("very_low", float("-inf"), 3.0),
    ("low", 3.0, 3.9),
    ("in_range", 3.9, 10.05),
    ("high", 10.05, 13.95),
    ("very_high", 13.95, float("inf")),
)
# The consensus targets for each range: at most (or, for in-range, at least) this share of the time.
TARGETS = {"very_low": ("<", 1), "low": ("<", 4), "in_range": (">", 70), "high": ("<", 25), "very_high": ("<", 5)}
MIN_PER_HOUR = 5  # fewer readings than this around an hour gives no percentiles there


@dataclass(frozen=True)
class Profile:
    """Percentiles by hour of day (Copenhagen); None where there were too few readings."""

    p5: list[float | None]
    p25: list[float | None]
    p50: list[float | None]
    p75: list[float | None]
    p95: list[float | None]


@dataclass(frozen=True)
class Summary:
    readings: int
    days_with_data: int
    mean_mmol: float
    gmi_pct: float
    ranges: dict[str, float]  # share of readings in each range, per cent
    profile: Profile


def gmi(mean_mmol: float) -> float:
    return 3.31 + 0.02392 * mean_mmol * MG_PER_MMOL


def time_in_ranges(values: list[float]) -> dict[str, float]:
    counts = dict.fromkeys((k for k, _, _ in RANGES), 0)
    for v in values:
        for key, lo, hi in RANGES:
            if lo <= v < hi:
                counts[key] += 1
                break
    n = len(values) or 1
    return {k: 100.0 * c / n for k, c in counts.items()}


def _percentiles(values: list[float]) -> tuple[float, float, float, float, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[4], cuts[24], cuts[49], cuts[74], cuts[94]


def profile(readings: list[tuple[datetime, float]]) -> Profile:
    """Each hour's percentiles pool the readings of that hour and the hour either side: finger-prick data is
    too sparse for one-hour bins (a CGM gives 12 readings an hour, a glucometer 3–5 a day)."""
    by_hour: list[list[float]] = [[] for _ in range(24)]
    for at, value in readings:
        by_hour[at.astimezone(TZ).hour].append(value)
    out: list[list[float | None]] = [[], [], [], [], []]
    for hour in range(24):
        pooled = by_hour[(hour - 1) % 24] + by_hour[hour] + by_hour[(hour + 1) % 24]
        cuts: tuple[float | None, ...] = (
            tuple(round(c, 2) for c in _percentiles(pooled)) if len(pooled) >= MIN_PER_HOUR else (None,) * 5)
        for i, c in enumerate(cuts):
            out[i].append(c)
    return Profile(*out)


def summarise(readings: list[tuple[datetime, float]]) -> Summary | None:
    if not readings:
        return None
    values = [v for _, v in readings]
    mean = statistics.fmean(values)
    # A 14-day window touches 15 calendar dates; never claim more days than the window has.
    days = min(len({at.astimezone(TZ).date() for at, _ in readings}), DAYS)
    return Summary(readings=len(values), days_with_data=days, mean_mmol=mean, gmi_pct=gmi(mean),
                   ranges=time_in_ranges(values), profile=profile(readings))
