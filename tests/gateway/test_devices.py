"""Sessions with the simulated devices that push their readings: cuff, scale, oximeter, thermometer."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from gateway.sim.scenarios import Sample
from tests.gateway.bench import BASE, Bench

MakeBench = Callable[..., Bench]


@pytest.fixture
def make(tmp_path: Path) -> Iterator[MakeBench]:
    benches: list[Bench] = []

    def factory(kind: str, **device: object) -> Bench:
        bench = Bench(tmp_path / f"{kind}-{len(benches)}", kind, **device)
        benches.append(bench)
        return bench

    yield factory
    for b in benches:
        b.close()


def _values(bench: Bench) -> dict[str, float]:
    return {str(r["code"]): float(str(r["value"])) for r in bench.rows()}


def test_pulse_oximeter_spot_check(make: MakeBench) -> None:
    bench = make("spo2")
    bench.device.take(Sample(BASE, "spo2", {"spo2": 91, "pulse": 88}))
    assert bench.poll() == 2
    assert _values(bench) == {"59408-5": 91, "8867-4": 88}
    assert bench.measured() == [BASE, BASE]
    assert bench.radio.racp_writes == []


def test_thermometer(make: MakeBench) -> None:
    bench = make("temp", clock_drift=timedelta(seconds=-40))
    bench.device.take(Sample(BASE, "temp", {"temp": 38.4}))
    assert bench.poll() == 1
    assert _values(bench) == {"8310-5": 38.4}
    assert bench.measured() == [BASE]  # the thermometer's clock runs 40 s slow; corrected


def test_cuff_clock_is_measured_corrected_and_set(make: MakeBench) -> None:
    bench = make("bp", clock_drift=timedelta(seconds=95), battery=23)
    bench.device.take(Sample(BASE, "bp", {"systolic": 151, "diastolic": 93, "pulse": 70}))
    assert bench.poll() == 4
    assert bench.measured() == [BASE] * 4
    health = bench.gateway.health[bench.device.address]
    assert health.clock_offset_s == 95 and health.battery == 23
    # The profile lets the gateway write Date Time (0x2A08): the cuff's clock is right afterwards.
    assert abs(bench.device.clock_drift) <= timedelta(seconds=1)


def test_duplicate_indications_give_one_row(make: MakeBench) -> None:
    bench = make("weight", duplicate_notifications=True)
    bench.device.take(Sample(BASE, "weight", {"weight": 84.2}))
    bench.device.take(Sample(BASE + timedelta(days=1), "weight", {"weight": 84.9}))
    assert bench.poll() == 2
    assert len(bench.rows()) == 2


def test_disconnect_mid_transfer_keeps_the_rest_on_the_device(make: MakeBench) -> None:
    bench = make("weight", disconnect_after=1)
    for day in range(3):
        bench.device.take(Sample(BASE + timedelta(days=day), "weight", {"weight": 80 + day}))
    assert bench.poll() == 1
    assert bench.poll() == 2
    assert sorted(float(str(r["value"])) for r in bench.rows()) == [80, 81, 82]


def test_home_spirometer_vendor_layout(make: MakeBench) -> None:
    bench = make("spirometry", clock_drift=timedelta(seconds=-70))
    bench.device.take(Sample(BASE, "spirometry", {"fev1": 1.42, "fvc": 2.71, "fev1_fvc": 52.4, "pef": 231.0,
                                                  "grade": 3}))  # a short blow: no FEV6
    assert bench.poll() == 4
    assert _values(bench) == {"20150-9": 1.42, "19870-5": 2.71, "19926-5": 52.4, "33452-4": 231.0}
    assert all(r["flags"] == ["effort_grade_d"] for r in bench.rows())
    assert bench.measured() == [BASE] * 4  # the spirometer's clock ran 70 s slow; corrected


def test_peak_flow_meter_is_dated_on_arrival(make: MakeBench) -> None:
    bench = make("peak_flow")
    bench.device.take(Sample(BASE, "peak_flow", {"pef": 240, "fev1": 1.35}))
    assert bench.poll() == 2
    assert _values(bench) == {"33452-4": 240, "20150-9": 1.35}
    assert bench.measured()[0] > BASE  # no clock on the meter: the gateway's receive time
