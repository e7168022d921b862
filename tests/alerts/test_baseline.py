"""The personal baseline: learns from the first weeks, never fires early, names what was unusual."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from alerts import baseline
from alerts.rules import personal_baseline
from tests.alerts.build import AT, ctx, reading


def _days(n: int, *, seed: int = 7, tail: list[dict[str, float]] | None = None) -> list:
    """n ordinary days (pulse ~72, SpO2 ~95, weight ~80) ending at AT; ``tail`` overrides the last days."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        at = AT - timedelta(days=n - 1 - i)
        day = {"pulse_rate": round(72 + rng.gauss(0, 3)), "spo2": round(95 + rng.gauss(0, 0.8)),
               "body_weight": round(80 + rng.gauss(0, 0.3), 1)}
        if tail and i >= n - len(tail):
            day |= tail[i - (n - len(tail))]
        out += [reading(code, v, at - timedelta(minutes=k)) for k, (code, v) in enumerate(day.items())]
    return out


SICK = {"pulse_rate": 96.0, "spo2": 90.0}

CASES = [
    ("ordinary days", _days(40), False),
    ("two unusual days after 5 weeks", _days(40, tail=[SICK, SICK]), True),
    ("one unusual day only", _days(40, tail=[SICK, {}]), False),
    ("unusual, but only 12 days of data", _days(12, tail=[SICK, SICK]), False),
    ("unusual, 20 days of data: 13 training days", _days(20, tail=[SICK, SICK]), False),
    ("unusual, 22 days of data: 14 training days", _days(22, tail=[SICK, SICK]), True),
]


@pytest.mark.parametrize(("name", "rs", "fires"), CASES, ids=[c[0] for c in CASES])
def test_cases(name: str, rs: list, fires: bool) -> None:
    found = personal_baseline.evaluate(ctx(rs))
    assert bool(found) == fires


def test_names_the_unusual_values() -> None:
    (f,) = personal_baseline.evaluate(ctx(_days(40, tail=[SICK, SICK])))
    named = [u["feature"] for u in f.explanation["unusual"]]  # type: ignore[attr-defined]
    assert set(named) == {"pulse_rate", "spo2"}
    assert "pulse 96 /min (usual 72" in f.explanation["text"]["en"]  # type: ignore[index]
    assert 14 <= f.explanation["baseline"]["trained_days"] <= 28  # type: ignore[index,operator]


def test_slow_weight_drift_is_not_news() -> None:
    drift = [{"body_weight": 80 + 0.05 * i} for i in range(40)]
    assert personal_baseline.evaluate(ctx(_days(40, tail=drift))) == []


def test_training_never_includes_the_last_week() -> None:
    vectors = baseline.day_vectors(_days(40), ctx([]).tz)
    today = max(vectors)
    assert all((today - d).days > baseline.RECENT_DAYS for d in baseline.training_days(vectors, today))
