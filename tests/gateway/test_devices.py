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
