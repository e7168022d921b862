"""Scenario scripts for faults of the kit: the patient stops measuring, a device's battery dies, the gateway
is offline for two days. The older scripts measure exactly as before."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path

from gateway.sim.scenarios import (
    OFFLINE_DAYS,
    SCENARIOS,
    Patient,
    battery_drain_per_reading,
    history,
    offline_window,
    samples_while_offline,
)
from tests.gateway.bench import Bench, each_once

END = datetime(2025, 3, 10, 12, 0)
KINDS = ("bp", "weight", "spo2", "glucose")


def _digest(scenario: str) -> str:
    samples = history(Patient(seed=3, scenario=scenario, kinds=KINDS, event_day=4), END, 21)
    return hashlib.sha256(json.dumps([asdict(s) for s in samples], default=str).encode()).hexdigest()[:16]


def test_scenarios_are_listed() -> None:
    assert SCENARIOS[:5] == ("stable", "hf_weight_gain", "copd_exacerbation", "nocturnal_hypo",
                             "hypertensive_crisis")
    assert set(SCENARIOS[5:]) == {"patient_stops_measuring", "battery_dies", "gateway_offline_two_days"}


def test_fault_scenarios_measure_like_a_stable_patient_until_the_fault() -> None:
    stable = history(Patient(seed=3, scenario="stable", kinds=KINDS, event_day=4), END, 21)
    for scenario in ("battery_dies", "gateway_offline_two_days"):
        assert history(Patient(seed=3, scenario=scenario, kinds=KINDS, event_day=4), END, 21) == stable
    assert len({_digest(s) for s in SCENARIOS[:5]}) == 5


def test_patient_stops_measuring_after_the_event_day() -> None:
    p = Patient(seed=5, scenario="patient_stops_measuring", kinds=KINDS, event_day=4)
    samples = history(p, END, 21)
    last_day = END.date() - timedelta(days=4)
    assert samples and max(s.at.date() for s in samples) <= last_day
    stable = history(Patient(seed=5, scenario="stable", kinds=KINDS, event_day=4), END, 21)
    assert samples == [s for s in stable if s.at.date() <= last_day]


def test_battery_dies_and_the_device_falls_silent(tmp_path: Path) -> None:
    p = Patient(seed=9, scenario="battery_dies", kinds=("glucose",), event_day=3)
    samples = history(p, END, 10)
    drain = battery_drain_per_reading(p, END, 10, "glucose", level=60)
    bench = Bench(tmp_path, "glucose", battery=60, battery_per_reading=drain)
    event = END.date() - timedelta(days=3)
    kept = [s for s in samples if bench.device.take(s) is not None]
    assert kept == [s for s in samples if s.at.date() <= event][: len(kept)]
    assert max(s.at.date() for s in kept) == event  # the last reading it could take was on the event day
    assert bench.device.battery == 0 and bench.device.battery_dead
    assert bench.device.advertising is False
    bench.device.awake = True  # even a meter switched on does not advertise with a flat battery
    assert bench.poll() == 0
    assert bench.outbox.depth() == 0
    bench.close()


def test_gateway_offline_two_days_keeps_every_reading(tmp_path: Path) -> None:
    p = Patient(seed=2, scenario="gateway_offline_two_days", kinds=("glucose",))
    start, stop = offline_window(END)
    assert stop - start == timedelta(days=OFFLINE_DAYS)
    offline = samples_while_offline(p, END)
    assert offline and all(start <= s.at < stop for s in offline)
    assert len(offline) >= 4 * OFFLINE_DAYS - 4  # four tests a day, a missed day now and then
    bench = Bench(tmp_path, "glucose")
    for s in offline:
        bench.device.take(s)
    # The publisher in the bench never connects: every reading of the two days waits in the outbox, once,
    # for the drain after reconnecting.
    assert bench.poll() == len(offline)
    assert each_once(bench, lambda: offline)
    assert bench.outbox.depth() == len(offline)
    bench.close()
