"""A cuff shared by a couple: each BLE user index reaches its own patient; the rest goes to the kit's patient."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg
from fastapi.testclient import TestClient

from clinician_ui.app import create_app
from device_profiles.wire import DeviceRef, ObservationBatch, WireObservation, topic
from ingest.pipeline import Message, process
from tests.clinician_ui import seed as ui_seed
from tests.clinician_ui.conftest import login

NOW = datetime.now(UTC).replace(microsecond=0)


def _obs(user_index: int | None, value: float) -> WireObservation:
    return WireObservation(id=uuid.uuid4(), code="8480-6", value=value, unit="mm[Hg]",
                           measured_at=NOW - timedelta(minutes=5), received_at=NOW, user_index=user_index,
                           device=DeviceRef(id="C0:00:00:00:00:01", profile="and_ua651ble"))


def test_user_index_binds_to_the_right_patient(database_url: str) -> None:
    world = ui_seed.world(database_url)
    with psycopg.connect(database_url) as conn:
        ui_seed.user(conn, "admin", "admin", world.nursing_org, "Anne Admin")
        spouse = ui_seed.patient(conn, "Poul Holm", world.nursing_org, world.gp_org, ["hypertension"])
        conn.execute("INSERT INTO gateways (id, organisation_id) VALUES ('kit-couple', %s)", (world.nursing_org,))
        conn.execute("INSERT INTO kit_assignments (gateway_id, patient_id, valid_from) VALUES"
                     " ('kit-couple', %s, %s)", (world.patient_id, NOW - timedelta(days=30)))
    with TestClient(create_app(database_url, secure_cookies=False)) as client:
        csrf = login(client, "admin")
        taken = client.post(f"/api/admin/patients/{spouse}/kit", json={"gateway_id": "kit-couple"},
                            headers={"X-CSRF-Token": csrf})
        assert taken.status_code == 409  # the kit as a whole already has its patient
        shared = client.post(f"/api/admin/patients/{spouse}/kit", json={"gateway_id": "kit-couple", "user_index": 2},
                             headers={"X-CSRF-Token": csrf})
        assert shared.status_code == 201, shared.text
    # The spouse's assignment starts now: readings stamped after it bind by user index.
    after = datetime.now(UTC) + timedelta(seconds=1)
    later = [o.model_copy(update={"measured_at": after}) for o in (_obs(1, 131), _obs(2, 152), _obs(None, 140))]
    batch = ObservationBatch(gateway_id="kit-couple", sent_at=NOW, observations=tuple(later))
    with psycopg.connect(database_url) as conn:
        result = process(conn, [Message(topic("kit-couple", "obs"), batch.model_dump_json().encode())],
                         now=after + timedelta(minutes=1))
        conn.commit()
        rows = dict(conn.execute("SELECT value, patient_id FROM observations WHERE gateway_id = %s",
                                 ("kit-couple",)).fetchall())
    assert result.inserted == 3
    assert rows == {131: world.patient_id, 152: spouse, 140: world.patient_id}
