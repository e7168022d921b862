"""A per-patient model of normal learned from the patient's own first weeks: robust covariance of daily vectors.

Each day becomes a vector of daily medians (pulse, SpO2, blood pressure, glucose, lung function, temperature,
and weight as the change from the previous week's median, so that slow drift is not news). A Minimum
Covariance Determinant fit (scikit-learn ``MinCovDet``) on the first weeks gives a centre and a covariance that
one bad day in training cannot drag; a new day is unusual when its Mahalanobis distance passes the chi-square
99.9 % point, and the explanation names each value more than 2.5 robust SDs from the patient's usual.
Per-measurement floors on the SD keep a very steady patient from alarming on device resolution.
"""

from __future__ import annotations

import bisect
import functools
import statistics
import warnings
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from sklearn.covariance import MinCovDet  # type: ignore[import-untyped]

from alerts.model import Reading

# feature → minimum SD (device resolution and ordinary day-to-day variation)
FEATURES: dict[str, float] = {
    "weight_change": 0.4, "pulse_rate": 4.0, "spo2": 1.0, "bp_systolic": 6.0, "bp_diastolic": 4.0,
    "glucose": 0.8, "fev1": 0.08, "pef": 20.0, "body_temp": 0.25,
}
CODES = (*(c for c in FEATURES if c != "weight_change"), "body_weight")
MIN_DAYS = 14  # never fires before this many complete training days
TRAIN_DAYS = 28  # the first weeks
RECENT_DAYS = 7  # never trained on: the days being judged and the week before
COVERAGE = 0.8  # a measurement is a feature when it was taken on this share of the training days
Z_NAMED = 2.5
# chi-square 99.9 % points by degrees of freedom
CHI2_999 = {1: 10.83, 2: 13.82, 3: 16.27, 4: 18.47, 5: 20.52, 6: 22.46, 7: 24.32, 8: 26.12, 9: 27.88}

DayVector = dict[str, float]


def day_vectors(readings: Sequence[Reading], tz: ZoneInfo) -> dict[date, DayVector]:
    """Daily medians per measurement; weight as the change from the median of the 7 days before."""
    per: dict[str, dict[date, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in readings:
        if r.code in CODES:
            per[r.code][r.measured_at.astimezone(tz).date()].append(r.value)
    return vectors_of({c: [(d, statistics.median(vs)) for d, vs in sorted(days.items())] for c, days in per.items()})


def vectors_of(medians: Mapping[str, Sequence[tuple[date, float]]]) -> dict[date, DayVector]:
    """``day_vectors`` from each measurement's daily medians (oldest first), as History.daily_medians gives them:
    a day is there when any measurement was taken on it."""
    out: dict[date, DayVector] = {d: {} for d in sorted({d for ms in medians.values() for d, _ in ms})}
    for code, ms in medians.items():
        if code != "body_weight":
            for d, m in ms:
                out[d][code] = m
    weights = list(medians.get("body_weight", ()))
    days = [d for d, _ in weights]
    for k, (d, w) in enumerate(weights):
        before = [v for _, v in weights[bisect.bisect_left(days, d - timedelta(days=7)):k]]
        if len(before) >= 3:
            out[d]["weight_change"] = w - statistics.median(before)
    return out


@dataclass(frozen=True)
class PersonalBaseline:
    features: tuple[str, ...]
    centre: tuple[float, ...]
    covariance: tuple[tuple[float, ...], ...]
    trained_days: int
    trained_to: date

    def sd(self, i: int) -> float:
        return float(np.sqrt(self.covariance[i][i]))

    def distance2(self, vec: DayVector) -> tuple[float, int]:
        """Squared Mahalanobis distance over the features the day has, and how many that is."""
        idx = [i for i, f in enumerate(self.features) if f in vec]
        if not idx:
            return 0.0, 0
        x = np.array([vec[self.features[i]] - self.centre[i] for i in idx])
        cov = np.array(self.covariance)[np.ix_(idx, idx)]
        return float(x @ np.linalg.solve(cov, x)), len(idx)

    def unusual(self, vec: DayVector) -> list[tuple[str, float, float, float]]:
        """(feature, value, usual centre, z) for each value more than 2.5 SDs from the patient's usual."""
        out = []
        for i, f in enumerate(self.features):
            if f in vec:
                z = (vec[f] - self.centre[i]) / self.sd(i)
                if abs(z) >= Z_NAMED:
                    out.append((f, vec[f], self.centre[i], z))
        return sorted(out, key=lambda t: -abs(t[3]))

    def is_unusual(self, vec: DayVector) -> bool:
        d2, dof = self.distance2(vec)
        return dof > 0 and d2 > CHI2_999[dof] and bool(self.unusual(vec))


def training_days(vectors: dict[date, DayVector], today: date) -> list[date]:
    """The patient's first weeks: up to 28 days from the first day with data, never the last week.

    The span grows in whole weeks (14, 21, 28 days) from a start aligned to a week, so the model is refitted
    at most weekly rather than with every new day."""
    days = sorted(d for d in vectors if (today - d).days > RECENT_DAYS)
    if not days:
        return []
    start = days[0] + timedelta(days=-days[0].toordinal() % 7)
    if start != days[0] and len([d for d in days if d >= start]) >= MIN_DAYS:
        days = [d for d in days if d >= start]
    weeks = min(TRAIN_DAYS, ((days[-1] - days[0]).days + 1) // 7 * 7)
    return [d for d in days if (d - days[0]).days < weeks]


def fit(vectors: dict[date, DayVector], today: date) -> PersonalBaseline | None:
    """The baseline as of ``today``, or None while there are fewer than 14 complete training days."""
    train = training_days(vectors, today)
    if len(train) < MIN_DAYS:
        return None
    features = tuple(f for f in FEATURES if sum(f in vectors[d] for d in train) >= COVERAGE * len(train))
    rows = [tuple(vectors[d][f] for f in features) for d in train if all(f in vectors[d] for f in features)]
    if not features or len(rows) < MIN_DAYS:
        return None
    return _fit_rows(features, tuple(rows), train[-1])


@functools.lru_cache(maxsize=4096)
def _fit_rows(features: tuple[str, ...], rows: tuple[tuple[float, ...], ...], last: date) -> PersonalBaseline:
    x = np.array(rows, dtype=float)
    floors = np.array([FEATURES[f] for f in features]) ** 2
    if len(features) == 1 or len(rows) <= 2 * len(features):
        centre = np.median(x, axis=0)
        mad = 1.4826 * np.median(np.abs(x - centre), axis=0)
        cov = np.diag(mad**2)
    else:
        with warnings.catch_warnings():
            # Integer-valued readings (SpO2, pulse) make many training days identical; MCD then warns
            # about a non-decreasing determinant. The SD floors below keep the result usable.
            warnings.simplefilter("ignore", RuntimeWarning)
            mcd = MinCovDet(support_fraction=0.8, random_state=0).fit(x)
        centre, cov = mcd.location_, mcd.covariance_
    cov = cov + np.diag(floors)  # the floor keeps a very steady patient from alarming on device resolution
    return PersonalBaseline(features, tuple(float(c) for c in centre),
                            tuple(tuple(float(v) for v in row) for row in cov), len(rows), last)


def train_window() -> timedelta:
    return timedelta(days=TRAIN_DAYS + RECENT_DAYS + 60)
