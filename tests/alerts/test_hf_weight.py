"""Table of cases for the heart-failure weight rule: rule of thumb, personal noise guard, MACD trend."""

from __future__ import annotations

import random

import pytest

from alerts.rules import hf_weight
from tests.alerts.build import ctx, daily_series


def _steady(n: int, base: float = 80.0, sd: float = 0.2, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [round(base + rng.gauss(0, sd), 1) for _ in range(n)]


CASES = [
    # (name, weights oldest→newest, expected severity, expected detector)
    ("flat", _steady(30), None, None),
    ("too little data", [80.0], None, None),
    ("2.1 kg in 3 days", [*_steady(27), 80.0, 81.0, 82.1], "red", "gain_3d"),
    ("2.0 kg: not the rule of thumb, but a trend", [*_steady(27, sd=0.05), 80.0, 81.0, 82.0], "yellow", "macd"),
    ("gain 4 days ago does not count", [*_steady(26, sd=0.05), 80.0, 82.5, 82.5, 82.5, 82.5], "yellow", "macd"),
    ("slow 2 kg over 8 days", [*_steady(30, sd=0.15), *[80 + 0.25 * i for i in range(1, 9)]], "yellow", "macd"),
    ("steady trend not yet enough days", [80 + 0.25 * i for i in range(8)], None, None),
    ("weight falling", [*_steady(25), 79.0, 78.0, 77.0], None, None),
]


@pytest.mark.parametrize(("name", "weights", "severity", "detector"), CASES, ids=[c[0] for c in CASES])
def test_cases(name: str, weights: list[float], severity: str | None, detector: str | None) -> None:
    found = hf_weight.evaluate(ctx(daily_series("body_weight", weights)))
    assert [f.severity for f in found] == ([severity] if severity else [])
    if found:
        assert found[0].explanation["detector"] == detector
        assert found[0].explanation["text"]["da"]  # type: ignore[index]


def test_noisy_patient_needs_more_than_two_kg() -> None:
    noisy = _steady(40, sd=1.2, seed=3)
    c = ctx(daily_series("body_weight", [*noisy[:-3], 80.0, 81.0, 82.2]))
    assert hf_weight.rule_of_thumb(c) is not None  # the plain guideline rule fires
    found = hf_weight.evaluate(c)
    assert not found or found[0].explanation["detector"] != "gain_3d"


def test_old_weighing_gives_no_verdict_today() -> None:
    weights = daily_series("body_weight", [*_steady(27), 80.0, 81.0, 82.1])
    from datetime import timedelta

    from tests.alerts.build import AT
    assert hf_weight.evaluate(ctx(weights, at=AT + timedelta(days=2))) == []


def test_explanation_is_plain() -> None:
    found = hf_weight.evaluate(ctx(daily_series("body_weight", [*_steady(27, sd=0.0), 80.0, 81.0, 82.5])))
    assert found[0].explanation["text"]["en"].startswith("Weight up 2.5 kg in 3 days")  # type: ignore[index]
