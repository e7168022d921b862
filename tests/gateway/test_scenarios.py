"""Scenario scripts: COPD kits blow into a spirometer, and an exacerbation shows in FEV1 and peak flow
without changing what the other devices of any kit measure."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from statistics import mean

from gateway.sim.devices import KINDS
from gateway.sim.scenarios import Patient, history
from nearcare.cohort import cohort, kinds_for

END = datetime(2025, 3, 10, 12, 0)


def test_copd_kits_get_a_spirometer() -> None:
    assert kinds_for(("copd",), set(KINDS)) == ("bp", "spo2", "spirometry")
    assert kinds_for(("heart_failure",), set(KINDS)) == ("bp", "weight")
    for p in cohort(set(KINDS)):
        assert ("spirometry" in p.sim.kinds) == ("copd" in p.conditions)


def test_exacerbation_lowers_fev1_and_peak_flow() -> None:
    p = Patient(seed=7, scenario="copd_exacerbation", kinds=("spirometry", "peak_flow"), fev1=1.6, pef=280)
    samples = history(p, END, 30)
    spiro = [s for s in samples if s.kind == "spirometry"]
    before = [s.values["fev1"] for s in spiro if (END - s.at).days > 8]
    peak = [s.values["fev1"] for s in spiro if (END - s.at).days <= 1]
    assert mean(peak) < 0.88 * mean(before)
    pef = [s.values["pef"] for s in samples if s.kind == "peak_flow"]
    assert mean(pef[-2:]) < 0.88 * mean(pef[:-9])
    assert all(0 <= s.values["grade"] <= 5 and s.values["fev1_fvc"] < 70 for s in spiro)


def test_other_devices_measure_as_before() -> None:
    without = Patient(seed=11, scenario="copd_exacerbation", kinds=("bp", "spo2"))
    with_spiro = replace(without, kinds=("bp", "spo2", "spirometry"))
    old = history(without, END, 20)
    new = [s for s in history(with_spiro, END, 20) if s.kind != "spirometry"]
    assert new == old
