"""Table of cases for the heart-failure weight rule: the rule of thumb (more than 2 kg in 3 days, above noise and
above usual) is red; otherwise the personal trend detector (tests/alerts/test_hf_trend.py) may give yellow."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from alerts.rules import hf_weight
from tests.alerts.build import AT, ctx, daily_series


def _steady(n: int, base: float = 80.0, sd: float = 0.2, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [round(base + rng.gauss(0, sd), 1) for _ in range(n)]


CASES = [
    # (name, weights oldest→newest, expected severity, expected detector)
    ("flat", _steady(30), None, None),
    ("too little data", [80.0], None, None),
    ("2.1 kg in 3 days", [*_steady(27), 80.0, 81.0, 82.1], "red", "gain_3d"),
    ("2.1 kg in 3 days, short history: plain rule of thumb", [80.0, 81.0, 82.1], "red", "gain_3d"),
    ("exactly 2.0 kg, one morning above usual: neither rule of thumb nor trend yet",
     [*_steady(27, sd=0.05), 80.0, 81.0, 82.0], None, None),
    ("gain 4 days ago: not the rule of thumb, but held above usual", [*_steady(26, sd=0.05), 80.0, 82.5, 82.5, 82.5,
                                                                      82.5], "yellow", "personal_trend"),
    ("slow 2 kg over 8 days", [*_steady(30, sd=0.15), *[80 + 0.25 * i for i in range(1, 9)]], "yellow",
     "personal_trend"),
    ("2.2 kg above one light morning, not above usual", [*_steady(27, sd=0.05), 78.4, 79.6, 80.6], None, None),
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
    assert hf_weight.evaluate(ctx(weights, at=AT + timedelta(days=2))) == []


def test_explanation_is_plain() -> None:
    found = hf_weight.evaluate(ctx(daily_series("body_weight", [*_steady(27, sd=0.0), 80.0, 81.0, 82.5])))
    assert found[0].explanation["text"]["en"].startswith("Weight up 2.5 kg in 3 days")  # type: ignore[index]
    assert found[0].explanation["baseline"]["usual_kg"] == 80.0  # type: ignore[index]
