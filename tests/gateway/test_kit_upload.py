"""A diabetes/COPD kit through a real broker into PostgreSQL: glucometer records by RACP, oximeter live."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from gateway.sim.scenarios import Sample
from tests.support.platform import TZ, SimKit, ingest_worker, make_patient, wait_for_rows

ROWS = "SELECT code, value, measured_at, patient_id FROM observations ORDER BY measured_at, code"



def test_glucometer_and_oximeter_kit(database_url: str, mqtt_url: str, tmp_path: Path) -> None:
    patient, gateway_id, _ = make_patient(database_url, conditions=("diabetes", "copd"))
    now = datetime.now(TZ).replace(tzinfo=None, microsecond=0)
    tests = [Sample(now - timedelta(hours=h), "glucose", {"glucose": g}) for h, g in ((30, 6.8), (20, 11.2), (3, 3.1))]
    with ingest_worker(database_url, mqtt_url), \
            SimKit(gateway_id, mqtt_url, tmp_path, kinds=("glucose", "spo2")) as kit:
        for s in tests:
            kit.devices["glucose"].take(s)
        kit.devices["spo2"].take(Sample(now - timedelta(minutes=2), "spo2", {"spo2": 89, "pulse": 104}))
        assert kit.poll() == 5  # three glucose records, SpO2 and pulse
        assert kit.publisher.wait_drained(10)
        rows = wait_for_rows(database_url, ROWS, 5)
        assert len(rows) == 5

        # Next morning's test: only the new record is asked for, and the database gains only that one.
        kit.devices["glucose"].take(Sample(now - timedelta(minutes=1), "glucose", {"glucose": 7.4}))
        assert kit.poll() == 1
        assert kit.publisher.wait_drained(10)
        rows = wait_for_rows(database_url, ROWS, 6)
        # Nothing of this kit's was quarantined (other kits on a shared broker may be, as unknown here).
        assert wait_for_rows(database_url, f"SELECT reason FROM quarantine WHERE topic LIKE '%/{gateway_id}/%'",
                             0) == []
    assert len(rows) == 6
    assert {r[3] for r in rows} == {patient}
    glucose = [(r[2].astimezone(TZ).replace(tzinfo=None), r[1]) for r in rows if r[0] == "14743-9"]
    # The meter's clock ran 95 s fast; the stored times are the true ones. Values come as whole mg/dL.
    expected = [*((s.at, s.values["glucose"]) for s in tests), (now - timedelta(minutes=1), 7.4)]
    assert [t for t, _ in glucose] == [t for t, _ in expected]
    assert all(abs(v - e) < 0.04 for (_, v), (_, e) in zip(glucose, expected, strict=True)), (glucose, expected)
    assert {r[0]: r[1] for r in rows if r[0] in ("59408-5", "8867-4")} == {"59408-5": 89, "8867-4": 104}
