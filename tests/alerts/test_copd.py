"""Table of cases for the COPD exacerbation rule: SpO2 below baseline, lung function below best, rising pulse."""

from __future__ import annotations

import pytest

from alerts.rules import copd
from tests.alerts.build import ctx, daily_series

BASE = 20


def _series(spo2: list[float] | None = None, pulse: list[float] | None = None,
            fev1: list[float] | None = None) -> list[list]:
    out = []
    if spo2:
        out.append(daily_series("spo2", spo2))
    if pulse:
        out.append(daily_series("pulse_rate", pulse, hour_offset=0.1))
    if fev1:
        out.append(daily_series("fev1", fev1, hour_offset=0.2))
    return out


CASES = [
    ("stable", _series(spo2=[93] * BASE, pulse=[80] * BASE, fev1=[1.2] * BASE), None),
    ("SpO2 4 below usual", _series(spo2=[93] * BASE + [89], pulse=[80] * (BASE + 1)), "yellow"),
    ("SpO2 3 below usual", _series(spo2=[93] * BASE + [90]), None),
    ("SpO2 drop with pulse up 12", _series(spo2=[93] * BASE + [89], pulse=[80] * BASE + [92]), "red"),
    ("pulse up alone", _series(spo2=[93] * (BASE + 1), pulse=[80] * BASE + [100]), None),
    ("FEV1 25 % below best", _series(fev1=[1.2] * BASE + [0.9]), "yellow"),
    ("FEV1 15 % below best", _series(fev1=[1.2] * BASE + [1.02]), None),
    ("SpO2 and FEV1 together", _series(spo2=[93] * BASE + [88], fev1=[1.2] * BASE + [0.9]), "red"),
    ("too few baseline days", _series(spo2=[93] * 5 + [85]), None),
]


@pytest.mark.parametrize(("name", "series", "severity"), CASES, ids=[c[0] for c in CASES])
def test_cases(name: str, series: list[list], severity: str | None) -> None:
    found = copd.evaluate(ctx(*series, conditions=("copd",)))
    assert [f.severity for f in found] == ([severity] if severity else [])


def test_explanation_names_each_signal() -> None:
    (f,) = copd.evaluate(ctx(*_series(spo2=[93] * BASE + [88], pulse=[80] * BASE + [95]), conditions=("copd",)))
    assert "5 points below usual 93 %" in f.explanation["text"]["en"]  # type: ignore[index]
    assert "puls 95 /min" in f.explanation["text"]["da"]  # type: ignore[index]
