"""The data path through a real broker and a real PostgreSQL: simulated kit → MQTT → ingest → rows."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from gateway.sim.scenarios import Sample
from tests.support.platform import TZ, SimKit, ingest_worker, make_patient, wait_for_rows

ROWS = "SELECT code, value, unit, measured_at, patient_id FROM observations ORDER BY code"



def test_kit_readings_land_once_bound_to_the_patient(database_url: str, mqtt_url: str, tmp_path: Path) -> None:
    patient, gateway_id, _ = make_patient(database_url)
    at = datetime.now(TZ).replace(tzinfo=None, microsecond=0) - timedelta(minutes=5)
    with ingest_worker(database_url, mqtt_url), SimKit(gateway_id, mqtt_url, tmp_path) as kit:
        kit.devices["bp"].take(Sample(at, "bp", {"systolic": 142, "diastolic": 88, "pulse": 77}))
        kit.devices["weight"].take(Sample(at, "weight", {"weight": 81.35}))
        assert kit.poll() == 5  # systolic, diastolic, mean, pulse, weight
        assert kit.publisher.wait_drained(10)
        rows = wait_for_rows(database_url, ROWS, 5)
        # Nothing of this kit's was quarantined (other kits on a shared broker may be, as unknown here).
        assert wait_for_rows(database_url, f"SELECT reason FROM quarantine WHERE topic LIKE '%/{gateway_id}/%'",
                             0) == []
    assert {r[0]: r[1] for r in rows} == {"8480-6": 142, "8462-4": 88, "8478-0": 106, "8867-4": 77,
                                         "29463-7": 81.35}
    assert {r[4] for r in rows} == {patient}
    # The device clock ran 95 s fast; the stored time is the true one.
    measured = rows[0][3].astimezone(TZ).replace(tzinfo=None)
    assert abs((measured - at).total_seconds()) < 2
