"""Tables of cases for the home blood-pressure mean and the NEWS2-style partial score."""

from __future__ import annotations

from datetime import timedelta

import pytest

from alerts.rules import bp_home, news2
from tests.alerts.build import AT, ctx, daily_series, reading

BP = [
    ("controlled", [128] * 7, [78] * 7, None),
    ("systolic mean 138", [150, 136, 140, 138, 137, 139, 138], [80] * 7, "review"),
    ("diastolic mean 86", [125] * 7, [86] * 7, "review"),
    ("first day discarded", [190, 130, 131, 129, 130, 128, 131], [80] * 7, None),
    ("too few days", [140, 140, 140], [90] * 3, None),
]


@pytest.mark.parametrize(("name", "sys_", "dia", "severity"), BP, ids=[c[0] for c in BP])
def test_home_bp_mean(name: str, sys_: list[float], dia: list[float], severity: str | None) -> None:
    found = bp_home.evaluate(ctx(daily_series("bp_systolic", sys_), daily_series("bp_diastolic", dia)))
    assert [f.severity for f in found] == ([severity] if severity else [])


def _set(conditions: tuple[str, ...] = ("heart_failure",), **vals: float) -> list:
    return [[reading(code, v, AT - timedelta(minutes=i))] for i, (code, v) in enumerate(vals.items())]


NEWS = [
    ("all normal", {}, dict(pulse_rate=75, spo2=97, body_temp=36.8), None),
    ("pulse 105 and SpO2 94: 2", {}, dict(pulse_rate=105, spo2=94), None),
    ("pulse 115, SpO2 93, temp 38.5: 5", {}, dict(pulse_rate=115, spo2=93, body_temp=38.5), "red"),
    ("pulse 105, SpO2 93: 3 from two", {}, dict(pulse_rate=105, spo2=93), "yellow"),
    ("SpO2 91 alone: 3 from one", {}, dict(spo2=91), None),
    ("COPD scale 2: SpO2 89 scores 0", {"conditions": ("copd",)}, dict(pulse_rate=105, spo2=89), None),
    ("COPD scale 2: SpO2 85 scores 2", {"conditions": ("copd",)}, dict(pulse_rate=105, spo2=85), "yellow"),
    ("low systolic and fast pulse", {}, dict(pulse_rate=112, bp_systolic=98), "yellow"),
]


@pytest.mark.parametrize(("name", "kw", "vals", "severity"), NEWS, ids=[c[0] for c in NEWS])
def test_news2(name: str, kw: dict, vals: dict, severity: str | None) -> None:
    conditions = kw.get("conditions", ("heart_failure",))
    found = news2.evaluate(ctx(*_set(**vals), conditions=conditions))
    assert [f.severity for f in found] == ([severity] if severity else [])


@pytest.mark.parametrize(("fn", "table"), [
    (news2.pulse_score, [(40, 3), (41, 1), (50, 1), (51, 0), (90, 0), (91, 1), (110, 1), (111, 2), (130, 2),
                         (131, 3)]),
    (news2.spo2_scale1, [(91, 3), (92, 2), (93, 2), (94, 1), (95, 1), (96, 0)]),
    (news2.spo2_scale2, [(83, 3), (84, 2), (85, 2), (86, 1), (87, 1), (88, 0)]),
    (news2.systolic_score, [(90, 3), (91, 2), (100, 2), (101, 1), (110, 1), (111, 0), (219, 0), (220, 3)]),
    (news2.temp_score, [(35.0, 3), (35.1, 1), (36.0, 1), (36.1, 0), (38.0, 0), (38.1, 1), (39.0, 1), (39.1, 2)]),
])
def test_rcp_chart_bands(fn: object, table: list[tuple[float, int]]) -> None:
    assert [fn(v) for v, _ in table] == [s for _, s in table]  # type: ignore[operator]


def test_readings_hours_apart_are_not_one_set() -> None:
    rs = [[reading("pulse_rate", 115, AT)], [reading("spo2", 92, AT - timedelta(hours=5))],
          [reading("body_temp", 38.6, AT - timedelta(hours=6))]]
    assert news2.evaluate(ctx(*rs)) == []
