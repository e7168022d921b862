"""Health-cluster indicators on a seeded 10-day period, their CSV, the leader-only page and admissions."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from clinician_ui.accounts import create_user
from clinician_ui.i18n import TZ
from tests.clinician_ui import seed
from tests.clinician_ui.conftest import login
from tests.clinician_ui.seed import PASSWORD, World

PERIOD = {"start": "2024-03-01", "end": "2024-03-10"}


def at(day: int, hour: int = 9, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=TZ)


def _kit(conn: psycopg.Connection, gateway: str, patient_id: int, since: datetime, until: datetime | None) -> None:
    conn.execute("INSERT INTO gateways (id) VALUES (%s)", (gateway,))
    conn.execute("INSERT INTO kit_assignments (gateway_id, patient_id, valid_from, valid_to) VALUES (%s, %s, %s, %s)",
                 (gateway, patient_id, since, until))


def _admission(conn: psycopg.Connection, patient_id: int, admitted: datetime, discharged: datetime | None) -> None:
    conn.execute("INSERT INTO admissions (patient_id, admitted_at, discharged_at, source) VALUES (%s, %s, %s,"
                 " 'hospital')", (patient_id, admitted, discharged))


def _alert(conn: psycopg.Connection, patient_id: int, severity: str, opened: datetime,
           ack_min: int | None = None, resolved: datetime | None = None, outcome: str | None = None) -> None:
    alert_id = seed.alert(conn, patient_id, severity=severity, opened_at=opened, observed_at=opened,
                          code="bp_systolic" if severity == "red" else "spo2", loinc="8480-6")
    if ack_min is not None:
        conn.execute("UPDATE alerts SET status = 'acknowledged', acknowledged_at = %s WHERE id = %s",
                     (opened + timedelta(minutes=ack_min), alert_id))
    if resolved is not None:
        conn.execute("UPDATE alerts SET status = 'resolved', resolved_at = %s, outcome = %s WHERE id = %s",
                     (resolved, outcome, alert_id))


@pytest.fixture
def cluster(database_url: str, seeded: World) -> dict[str, int]:
    """A and B: the nursing team's patients (GP practice G); C: another municipality's, same GP; D: nobody's."""
    n, g, o = seeded.nursing_org, seeded.gp_org, seeded.other_org
    with psycopg.connect(database_url) as conn:
        create_user(conn, username="leader", password=PASSWORD, display_name="Lene Leder", role="admin",
                    organisation_id=n, locale="en")
        a = seed.patient(conn, "A", n, g, ["copd", "heart_failure"])
        b = seed.patient(conn, "B", n, g, ["diabetes"])
        c = seed.patient(conn, "C", o, g, ["heart_failure"])
        d = seed.patient(conn, "D", o, o, ["copd"])
        _kit(conn, "gw-a", a, at(1, 0) - timedelta(days=30), None)
        _kit(conn, "gw-b", b, at(6, 10), None)
        _kit(conn, "gw-c", c, at(1, 0) - timedelta(days=5), at(3, 12))
        _kit(conn, "gw-d", d, at(1, 0) - timedelta(days=5), None)
        for day in (1, 2, 3, 6, 8, 9, 10):
            seed.observation(conn, a, "59408-5", 94, "%", at(day, 8))
        for day in (6, 7):
            seed.observation(conn, b, "14743-9", 6.5, "mmol/L", at(day, 8))
        # A: out of hospital on 20 Feb, in again 5–7 March (a 30-day readmission), and once more on 9 March
        # (within 3 days of the last discharge). C was admitted on 2 March and is still in.
        _admission(conn, a, at(20, 10, month=1), at(20, 10, month=2))
        _admission(conn, a, at(5, 8), at(7, 9))
        _admission(conn, a, at(9, 10), at(9, 20))
        _admission(conn, c, at(2, 12), None)
        _admission(conn, d, at(4, 12), at(5, 12))
        _alert(conn, a, "red", at(1, 10), 10, at(1, 11), "home_visit")
        _alert(conn, a, "yellow", at(8, 8), 30, at(8, 9), "false_alarm")
        _alert(conn, a, "red", at(15, 8, month=2), 5, at(15, 9, month=2), "gp_informed")  # before the period
        _alert(conn, b, "red", at(9, 12), 20)
        _alert(conn, b, "yellow", at(10, 7))
        _alert(conn, c, "red", at(2, 9), 5, at(2, 10), "admitted")
        _alert(conn, d, "red", at(3, 9), 1, at(3, 10), "false_alarm")
    return {"a": a, "b": b, "c": c, "d": d}


def _rows(client: TestClient) -> dict[tuple[str, str], dict[str, Any]]:
    response = client.get("/api/indicators", params=PERIOD)
    assert response.status_code == 200, response.text
    return {(r["axis"], r["organisation"]): r for r in response.json()["rows"]}


NURSING_FIGURES = {
    "patients": 2, "programmes": {"copd": 1, "heart_failure": 1, "diabetes": 1, "hypertension": 0},
    "patient_days": 15, "days_expected": 11, "days_without_readings": 4, "missing_data_rate": 0.3636,
    "alerts": 4, "alerts_red": 2, "alerts_per_100_patient_days": 26.67, "acknowledged": 3,
    "median_ack_minutes": 20.0,
    "outcomes": {"normalised": 0, "contacted_patient": 0, "home_visit": 1, "gp_informed": 0, "admitted": 0,
                 "false_alarm": 1},
    "admissions": 2, "readmissions_30d": 2, "readmissions_3d": 1,
}


def _figures(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in ("axis", "organisation", "organisation_id")}


def test_leader_of_the_nursing_team_sees_their_patients_by_municipality_and_practice(
        app_client: TestClient, cluster: dict[str, int]) -> None:
    login(app_client, "leader")
    rows = _rows(app_client)
    assert set(rows) == {("municipality", "Hjemmesygeplejen Nord"), ("gp_practice", "Lægehuset Havnegade")}
    assert _figures(rows["municipality", "Hjemmesygeplejen Nord"]) == NURSING_FIGURES
    assert _figures(rows["gp_practice", "Lægehuset Havnegade"]) == NURSING_FIGURES  # only A and B are theirs


def test_gp_sees_the_practice_across_municipalities(app_client: TestClient, cluster: dict[str, int]) -> None:
    login(app_client, "gp")
    rows = _rows(app_client)
    practice = rows["gp_practice", "Lægehuset Havnegade"]
    assert practice["patients"] == 3 and practice["programmes"]["heart_failure"] == 2
    assert (practice["patient_days"], practice["days_expected"], practice["days_without_readings"]) == (18, 12, 5)
    assert practice["alerts"] == 5 and practice["median_ack_minutes"] == 15.0
    assert practice["outcomes"]["admitted"] == 1 and practice["admissions"] == 3
    other = rows["municipality", "Hjemmesygeplejen Syd"]
    assert (other["patients"], other["patient_days"], other["days_expected"], other["missing_data_rate"]) \
        == (1, 3, 1, 1.0)
    assert (other["alerts"], other["alerts_per_100_patient_days"], other["median_ack_minutes"]) == (1, 33.33, 5.0)
    assert (other["admissions"], other["readmissions_30d"]) == (1, 0)
    assert _figures(rows["municipality", "Hjemmesygeplejen Nord"]) == NURSING_FIGURES
    assert next(iter(rows)) == ("gp_practice", "Lægehuset Havnegade")  # the user's own organisation first


def test_csv_export_carries_the_same_figures(app_client: TestClient, cluster: dict[str, int],
                                             database_url: str) -> None:
    login(app_client, "leader")
    response = app_client.get("/indicators.csv", params=PERIOD)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    lines = list(csv.DictReader(io.StringIO(response.text)))
    municipality = next(r for r in lines if r["axis"] == "municipality")
    assert municipality["period_start"] == "2024-03-01" and municipality["period_end"] == "2024-03-10"
    assert municipality["patients"] == "2" and municipality["patient_days"] == "15"
    assert municipality["alerts_per_100_patient_days"] == "26.67"
    assert municipality["missing_data_rate"] == "0.3636"
    assert municipality["outcome_home_visit"] == "1" and municipality["readmissions_3d"] == "1"
    with psycopg.connect(database_url) as conn:
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log WHERE action LIKE 'indicators.%'")]
    assert actions == ["indicators.export"]


def test_the_page_is_for_leaders_only(app_client: TestClient, cluster: dict[str, int]) -> None:
    login(app_client, "nurse")
    assert app_client.get("/indicators", params=PERIOD).status_code == 403
    assert app_client.get("/indicators.csv", params=PERIOD).status_code == 403
    assert "/indicators" not in app_client.get("/patients").text
    login(app_client, "leader")
    page = app_client.get("/indicators", params=PERIOD)
    assert page.status_code == 200
    assert "Hjemmesygeplejen Nord" in page.text and "26.7" in page.text and "36.4 %" in page.text
    assert app_client.get("/indicators", params={"start": "2024-03-10", "end": "2024-03-01"}).status_code == 400


def test_nurse_records_an_admission_through_the_api_and_the_form(app_client: TestClient, cluster: dict[str, int],
                                                                  database_url: str) -> None:
    csrf = login(app_client, "nurse")
    body = {"admitted_at": "2024-04-02T10:00:00+02:00", "discharged_at": "2024-04-05T12:00:00+02:00"}
    response = app_client.post(f"/api/patients/{cluster['a']}/admissions", json=body,
                               headers={"X-CSRF-Token": csrf})
    assert response.status_code == 201, response.text
    assert app_client.post(f"/api/patients/{cluster['a']}/admissions", json=body).status_code == 403  # no CSRF
    backwards = {"admitted_at": body["discharged_at"], "discharged_at": body["admitted_at"]}
    assert app_client.post(f"/api/patients/{cluster['a']}/admissions", json=backwards,
                           headers={"X-CSRF-Token": csrf}).status_code == 422
    assert app_client.post(f"/api/patients/{cluster['c']}/admissions", json=body,
                           headers={"X-CSRF-Token": csrf}).status_code == 404  # another municipality's
    page = app_client.get("/admissions")
    assert page.status_code == 200 and ">A</a>" in page.text
    form = app_client.post("/admissions", data={"csrf_token": csrf, "patient_id": str(cluster["b"]),
                                                "admitted_on": "2024-04-03", "admitted_time": "",
                                                "discharged_on": "", "source": "nurse", "note": "Pneumoni"},
                           follow_redirects=False)
    assert form.status_code == 303, form.text
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT patient_id, admitted_at, discharged_at, source, note FROM admissions"
                            " WHERE admitted_at >= '2024-04-01' ORDER BY id").fetchall()
        audit = conn.execute("SELECT patient_id FROM audit_log WHERE action = 'admission.record'"
                             " ORDER BY id").fetchall()
    assert [(r[0], r[3]) for r in rows] == [(cluster["a"], "nurse"), (cluster["b"], "nurse")]
    assert rows[1][1] == at(3, 12, month=4) and rows[1][2] is None and rows[1][4] == "Pneumoni"
    assert [r[0] for r in audit] == [cluster["a"], cluster["b"]]
