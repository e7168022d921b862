"""The FHIR API on a real database: $everything, Observation search, organisation scoping and audit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from fastapi.testclient import TestClient
from fhir.resources.R4B.bundle import Bundle

from clinician_ui.fhir import systems as s
from clinician_ui.i18n import TZ
from tests.clinician_ui import seed
from tests.clinician_ui.conftest import login
from tests.clinician_ui.seed import World


def _bp(database_url: str, patient_id: int, at: datetime, sys: float, dia: float) -> list[uuid.UUID]:
    ids = [uuid.uuid4(), uuid.uuid4()]
    with psycopg.connect(database_url) as conn:
        for oid, code, value in zip(ids, ("8480-6", "8462-4"), (sys, dia), strict=True):
            conn.execute(
                "INSERT INTO observations (id, patient_id, code, value, unit, measured_at, received_at, gateway_id,"
                " device_id, device_profile, flags) VALUES (%s, %s, %s, %s, 'mm[Hg]', %s, %s, 'gw-7', 'AA:01',"
                " 'and_ua651ble', %s)",
                (oid, patient_id, code, value, at, at, ["body_movement"] if code == "8480-6" else []),
            )
    return ids


def _audit(database_url: str, action: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT u.username, a.patient_id, a.detail FROM audit_log a JOIN users u"
                            " ON u.id = a.user_id WHERE a.action = %s ORDER BY a.id", (action,)).fetchall()


def _entries(body: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in body["entry"] if e["resource"]["resourceType"] == kind]


def test_everything_is_a_valid_bundle_of_the_period(nurse: tuple[TestClient, str], seeded: World,
                                                    database_url: str) -> None:
    client, _ = nurse
    now = datetime.now(UTC)
    evidence = _bp(database_url, seeded.patient_id, now - timedelta(hours=2), 186, 104)
    _bp(database_url, seeded.patient_id, now - timedelta(days=100), 150, 90)  # outside the period
    with psycopg.connect(database_url) as conn:
        alert_id = seed.alert(conn, seeded.patient_id, value=186, observed_at=now - timedelta(hours=2))
        conn.execute("UPDATE alerts SET evidence = %s WHERE id = %s", (evidence[:1], alert_id))
    today = now.astimezone(TZ).date()
    response = client.get(f"/fhir/Patient/{seeded.patient_id}/$everything",
                          params={"start": (today - timedelta(days=6)).isoformat(), "end": today.isoformat()})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    body = response.json()
    parsed = Bundle.model_validate(body)
    assert parsed.type == "searchset"
    [patient] = _entries(body, "Patient")
    assert patient["name"] == [{"text": "Inger Jensen"}]
    assert {o["name"] for o in _entries(body, "Organization")} == {"Hjemmesygeplejen Nord", "Lægehuset Havnegade"}
    observations = _entries(body, "Observation")
    panels = [o for o in observations if o["code"]["coding"][0]["code"] == s.BP_PANEL_LOINC]
    # The seeded systolic-only readings of the last 7 days make panels too, each with one component.
    new = [p for p in panels if len(p["component"]) == 2]
    assert len(new) == 1
    assert [c["valueQuantity"]["value"] for c in new[0]["component"]] == [186, 104]
    assert all(o["effectiveDateTime"] >= (today - timedelta(days=7)).isoformat() for o in observations)
    spo2 = [o for o in observations if o["code"]["coding"][0]["code"] == "59408-5"]
    assert spo2 and all({"system": s.NPU, "code": "NPU27280"} in o["code"]["coding"] for o in spo2)
    [flag] = _entries(body, "Flag")
    assert flag["status"] == "active"
    assert {"url": s.EXT_FLAG_DETAIL, "valueReference": {"reference": f"Observation/{new[0]['id']}"}} \
        in flag["extension"]
    devices = _entries(body, "Device")
    assert {d["identifier"][0]["value"] for d in devices} == {"AA:01", "gw-7"}
    assert _audit(database_url, "fhir.everything")[-1][:2] == ("nurse", seeded.patient_id)


def test_another_organisations_patient_is_not_found(app_client: TestClient, seeded: World,
                                                    database_url: str) -> None:
    login(app_client, "outsider")
    for url in (f"/fhir/Patient/{seeded.patient_id}/$everything", f"/fhir/Patient/{seeded.patient_id}",
                f"/fhir/Observation?patient={seeded.patient_id}"):
        response = app_client.get(url)
        assert response.status_code == 404, url
        assert response.headers["content-type"].startswith("application/fhir+json")
        assert response.json()["resourceType"] == "OperationOutcome"
    assert _audit(database_url, "fhir.everything") == []
    assert _audit(database_url, "fhir.observation.search") == []
    # Their own patient is there.
    assert app_client.get(f"/fhir/Patient/{seeded.other_patient_id}").status_code == 200


def test_signed_out_is_refused_with_an_outcome(app_client: TestClient, seeded: World) -> None:
    response = app_client.get(f"/fhir/Patient/{seeded.patient_id}/$everything")
    assert response.status_code == 401
    assert response.json()["issue"][0]["code"] == "login"


def test_bad_period_is_a_bad_request(nurse: tuple[TestClient, str], seeded: World) -> None:
    client, _ = nurse
    url = f"/fhir/Patient/{seeded.patient_id}/$everything"
    assert client.get(url, params={"start": "2024-05-10", "end": "2024-05-01"}).status_code == 400
    assert client.get(url, params={"start": "yesterday"}).status_code == 400


def test_observation_search_by_code_and_date(nurse: tuple[TestClient, str], seeded: World,
                                             database_url: str) -> None:
    client, _ = nurse
    now = datetime.now(UTC)
    _bp(database_url, seeded.patient_id, now - timedelta(hours=1), 140, 80)
    spo2 = client.get("/fhir/Observation", params={"patient": f"Patient/{seeded.patient_id}",
                                                   "code": f"{s.NPU}|NPU27280"})
    assert spo2.status_code == 200
    body = spo2.json()
    Bundle.model_validate(body)
    assert body["total"] == 20
    assert {o["code"]["coding"][0]["code"] for o in _entries(body, "Observation")} == {"59408-5"}
    panels = client.get("/fhir/Observation", params={"patient": seeded.patient_id, "code": "85354-9"}).json()
    assert panels["total"] == 21
    systolic = client.get("/fhir/Observation", params={"patient": seeded.patient_id,
                                                       "code": "http://loinc.org|8480-6,29463-7"}).json()
    assert systolic["total"] == 41  # panels that contain a systolic, and the weights
    today = now.astimezone(TZ).date()
    recent = client.get("/fhir/Observation", params=[("patient", str(seeded.patient_id)), ("code", "29463-7"),
                                                     ("date", f"ge{(today - timedelta(days=2)).isoformat()}")])
    assert 2 <= recent.json()["total"] <= 3
    assert client.get("/fhir/Observation", params={"patient": seeded.patient_id, "date": "soon"}).status_code == 400
    assert client.get("/fhir/Observation").status_code == 400
    audit = _audit(database_url, "fhir.observation.search")
    assert len(audit) == 4
    assert audit[0][2]["code"] == [f"{s.NPU}|NPU27280"]
