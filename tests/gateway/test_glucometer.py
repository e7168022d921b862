"""Stored-record download from a simulated Glucose Profile meter through the Record Access Control Point."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from gateway import racp
from tests.gateway.bench import Bench, each_once

LAST = "01 06"
ALL = "01 01"


def test_first_download_takes_every_record_and_commits_the_newest(meter: Bench) -> None:
    meter.take(5)
    assert meter.poll() == 5
    assert meter.radio.racp_writes == [LAST, ALL]
    assert each_once(meter)
    assert meter.committed() is not None and meter.committed().startswith("4:")
    assert {r["code"] for r in meter.rows()} == {"14743-9"}
    assert meter.device.advertising is False  # the session ended cleanly; the meter sleeps


def test_next_download_asks_only_from_the_committed_record_on(meter: Bench) -> None:
    meter.take(5)
    meter.poll()
    meter.outbox.delete([e.seq for e in meter.outbox.oldest(100)])  # the broker acknowledged them
    meter.take(2)
    # >= 4: the committed record comes again and proves the meter was not reset; it is not queued again.
    assert meter.poll() == 2
    assert meter.radio.racp_writes == [LAST, "01 03 01 04 00"]
    assert meter.measured() == sorted(s.at for s in meter.taken[5:])
    assert meter.committed().startswith("6:")


def test_nothing_new_costs_one_request(meter: Bench) -> None:
    meter.take(3)
    meter.poll()
    meter.device.awake = True  # the patient switched the meter on without testing
    assert meter.poll() == 0
    assert meter.radio.racp_writes == [LAST]
    assert meter.committed().startswith("2:")


def test_sequence_roll_over(meter: Bench) -> None:
    meter.device.next_sequence = 65530
    meter.take(5)  # 65530..65534
    meter.poll()
    assert meter.committed().startswith("65534:")
    meter.take(3)  # 65535, 0, 1
    assert meter.poll() == 3
    # >= 65534 brings 65534 (again) and 65535; <= 1 brings 0 and 1 — not the old 65530..65533.
    assert meter.radio.racp_writes == [LAST, "01 03 01 fe ff", "01 02 01 01 00"]
    assert each_once(meter) and len(meter.rows()) == 8
    assert meter.committed().startswith("1:")
    meter.take(1)
    assert meter.poll() == 1
    assert meter.radio.racp_writes == [LAST, "01 03 01 01 00"]
    assert each_once(meter)


def test_roll_over_from_65535(meter: Bench) -> None:
    meter.device.next_sequence = 65534
    meter.take(2)  # 65534, 65535
    meter.poll()
    meter.take(2)  # 0, 1
    assert meter.poll() == 2
    assert meter.radio.racp_writes == [LAST, "01 03 01 ff ff", "01 02 01 01 00"]
    assert each_once(meter)


def test_meter_reset_to_fewer_records_downloads_everything(meter: Bench) -> None:
    meter.take(5)  # 0..4
    meter.poll()
    meter.device.reset()
    meter.take(2)  # 0, 1 again, but other readings
    assert meter.poll() == 2
    assert meter.radio.racp_writes == [LAST, ALL]  # newest 1 is older than committed 4: a reset
    assert each_once(meter) and len(meter.rows()) == 7
    assert meter.committed().startswith("1:")


def test_meter_reset_and_counted_past_the_committed_number(meter: Bench) -> None:
    meter.take(3)  # 0..2
    meter.poll()
    meter.device.reset()
    meter.take(5)  # 0..4: the newest number looks newer than 2, but record 2 is another reading now
    assert meter.poll() == 5
    assert meter.radio.racp_writes == [LAST, "01 03 01 02 00", ALL]
    assert each_once(meter) and len(meter.rows()) == 8
    assert meter.committed().startswith("4:")


def test_emptied_meter_forgets_the_committed_sequence(meter: Bench) -> None:
    meter.take(3)
    meter.poll()
    meter.device.reset()
    meter.device.awake = True
    assert meter.poll() == 0
    assert meter.committed() == ""
    meter.take(2)
    assert meter.poll() == 2
    assert meter.radio.racp_writes == [LAST, ALL]
    assert each_once(meter)


def test_disconnect_mid_download_keeps_what_came_and_resumes(meter: Bench) -> None:
    meter.take(10)  # 0..9
    meter.device.disconnect_after = 5  # record 9 (last record), then 0..3 of "all", then the link drops
    assert meter.poll() == 5
    assert meter.committed() is None  # nothing committed: the next session asks again
    assert meter.device.advertising  # the meter did not finish; it still advertises
    assert meter.poll() == 5
    assert each_once(meter) and len(meter.rows()) == 10
    assert meter.committed().startswith("9:")


def test_disconnect_mid_incremental_download_resumes_from_the_committed_record(meter: Bench) -> None:
    meter.take(4)  # 0..3
    meter.poll()
    meter.take(8)  # 4..11
    meter.device.disconnect_after = 4  # record 11, then 3 (committed), 4, 5 of ">= 3", then the drop
    assert meter.poll() == 3
    assert meter.committed().startswith("3:")
    assert meter.poll() == 5  # 6..10
    assert meter.radio.racp_writes == [LAST, "01 03 01 03 00"]
    assert each_once(meter) and len(meter.rows()) == 12
    assert meter.committed().startswith("11:")


def test_duplicate_notifications_give_one_row(meter: Bench) -> None:
    meter.device.duplicate_notifications = True
    meter.take(3)
    assert meter.poll() == 3
    assert each_once(meter) and len(meter.rows()) == 3


def test_sequence_is_committed_only_after_the_outbox_has_the_readings(meter: Bench,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    meter.take(3)

    def power_cut(items: object) -> int:
        raise OSError("disk gone")

    monkeypatch.setattr(meter.outbox, "put", power_cut)
    with pytest.raises(OSError):
        meter.poll()
    assert meter.committed() is None
    monkeypatch.undo()
    meter.device.awake = True
    assert meter.poll() == 3
    assert each_once(meter)


def test_meter_without_the_last_record_operator(meter: Bench) -> None:
    meter.device.racp_operators = frozenset({racp.ALL_RECORDS, racp.GREATER_OR_EQUAL, racp.LESS_OR_EQUAL})
    meter.take(3)
    assert meter.poll() == 3
    assert meter.radio.racp_writes == [LAST, ALL]
    meter.take(2)
    assert meter.poll() == 2
    assert meter.radio.racp_writes == [LAST, "01 03 01 02 00"]
    meter.device.reset()
    meter.take(1)
    assert meter.poll() == 1
    assert meter.radio.racp_writes == [LAST, "01 03 01 04 00", ALL]
    assert each_once(meter) and len(meter.rows()) == 6


def test_meter_clock_offset_is_corrected(tmp_path: Path) -> None:
    bench = Bench(tmp_path, clock_drift=timedelta(minutes=-7, seconds=-12))
    try:
        bench.take(3)
        bench.poll()
        assert each_once(bench)  # stamped 7 min 12 s slow by the meter, stored at the true time
        assert bench.gateway.health[bench.device.address].clock_offset_s == -432
        assert bench.device.clock_drift == timedelta(minutes=-7, seconds=-12)  # a meter's clock is not set
    finally:
        bench.close()


@pytest.mark.parametrize("unit", ["kg/L", "mol/L"])
def test_concentration_units(tmp_path: Path, unit: str) -> None:
    bench = Bench(tmp_path, glucose_unit=unit)
    try:
        bench.take(3)
        bench.poll()
        values = sorted(float(str(r["value"])) for r in bench.rows())
        expected = sorted(s.values["glucose"] for s in bench.taken)
        # kg/L carries whole mg/dL, as meters count: half a mg/dL is 0.028 mmol/L, then 2 decimals.
        assert values == pytest.approx(expected, abs=0.04 if unit == "kg/L" else 1e-9)
        assert {r["unit"] for r in bench.rows()} == {"mmol/L"}
    finally:
        bench.close()
