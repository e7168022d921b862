"""Tables of cases for the diabetes trend rules: nocturnal lows, sustained highs, time in range with GMI."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts.rules import glucose_highs, glucose_lows, glucose_tir
from tests.alerts.build import AT, ctx, reading

# AT is 10:00 Copenhagen time; night readings are at 03:00 local = AT - 7 h (same day) or earlier days.


def night(days_ago: int, value: float) -> object:
    return reading("glucose", value, AT - timedelta(days=days_ago, hours=7))


def at(hours_ago: float, value: float) -> object:
    return reading("glucose", value, AT - timedelta(hours=hours_ago))


LOWS = [
    ("one night low", [night(1, 3.5)], None),
    ("two night lows in a week", [night(1, 3.5), night(5, 3.7)], "yellow"),
    ("one of them level 2", [night(1, 2.8), night(5, 3.7)], "red"),
    ("second low 8 days ago", [night(1, 3.5), night(8, 3.2)], None),
    ("daytime lows do not count", [at(1, 3.5), at(25, 3.6)], None),
    ("night readings in range", [night(1, 5.5), night(2, 6.0)], None),
]


@pytest.mark.parametrize(("name", "rs", "severity"), LOWS, ids=[c[0] for c in LOWS])
def test_nocturnal_lows(name: str, rs: list, severity: str | None) -> None:
    found = glucose_lows.evaluate(ctx(rs, conditions=("diabetes",)))
    assert [f.severity for f in found] == ([severity] if severity else [])


HIGHS = [
    ("three highs in 24 h", [at(20, 15.0), at(10, 14.5), at(1, 16.0)], "yellow"),
    ("two highs, one normal", [at(20, 15.0), at(10, 8.0), at(1, 16.0)], None),
    ("all high over 12 h", [at(20, 8.0), at(11, 14.5), at(1, 14.2)], "yellow"),
    ("13.9 exactly is not above", [at(20, 13.9), at(10, 13.9), at(1, 13.9)], None),
    ("one reading only", [at(1, 18.0)], None),
]


@pytest.mark.parametrize(("name", "rs", "severity"), HIGHS, ids=[c[0] for c in HIGHS])
def test_sustained_highs(name: str, rs: list, severity: str | None) -> None:
    found = glucose_highs.evaluate(ctx(rs, conditions=("diabetes",)))
    assert [f.severity for f in found] == ([severity] if severity else [])


def _fortnight(values: list[float]) -> list:
    """Four readings a day for 14 days, cycling through ``values``."""
    return [at(6 * i + 0.5, values[i % len(values)]) for i in range(56)]


TIR = [
    ("all in range", _fortnight([6.0, 8.0, 9.5, 7.0]), None),
    ("half high", _fortnight([6.0, 12.0, 11.0, 7.0]), "review"),
    ("70 % exactly", _fortnight([6.0] * 7 + [12.0] * 3), None),
    ("too few readings", _fortnight([12.0])[:20], None),
]


@pytest.mark.parametrize(("name", "rs", "severity"), TIR, ids=[c[0] for c in TIR])
def test_time_in_range(name: str, rs: list, severity: str | None) -> None:
    found = glucose_tir.evaluate(ctx(rs, conditions=("diabetes",)))
    assert [f.severity for f in found] == ([severity] if severity else [])


@pytest.mark.parametrize(("mean_mmol", "gmi"), [(5.55, 5.7), (8.33, 6.9), (11.1, 8.1)])
def test_gmi_matches_the_published_table(mean_mmol: float, gmi: float) -> None:
    # Bergenstal 2018: 100 mg/dL → 5.7 %, 150 → 6.9 %, 200 → 8.1 %
    assert round(glucose_tir.gmi(mean_mmol), 1) == gmi


def test_tir_explanation_gives_gmi_and_says_it_is_estimated() -> None:
    (f,) = glucose_tir.evaluate(ctx(_fortnight([6.0, 12.0, 11.0, 7.0]), conditions=("diabetes",)))
    assert f.explanation["tir_pct"] == 50
    assert "GMI" in f.explanation["text"]["en"] and "finger-prick" in f.explanation["text"]["en"]  # type: ignore[index]
