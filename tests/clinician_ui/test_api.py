"""The JSON API: sign-in, alerts, acknowledge/resolve, CSRF and audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
from fastapi.testclient import TestClient

from tests.clinician_ui import seed
from tests.clinician_ui.conftest import login
from tests.clinician_ui.seed import PASSWORD, World


def _audit(database_url: str, action: str) -> list[tuple[int | None, int | None, dict]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT user_id, patient_id, detail FROM audit_log WHERE action = %s ORDER BY id",
                            (action,)).fetchall()


def _user_id(database_url: str, username: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT id FROM users WHERE username = %s", (username,)).fetchone()
        assert row
        return int(row[0])


def test_login_returns_user_and_sets_a_safe_cookie(app_client: TestClient) -> None:
    response = app_client.post("/api/session", json={"username": "nurse", "password": PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert body["user"] == {"id": body["user"]["id"], "username": "nurse", "display_name": "Hanne Sygeplejerske",
                            "role": "nurse"}
    assert len(body["csrf_token"]) >= 32
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("nearcare_session=")
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert app_client.get("/api/alerts").status_code == 200


def test_session_stores_only_a_hash_of_the_token(app_client: TestClient, database_url: str) -> None:
    login(app_client, "nurse")
    token = app_client.cookies["nearcare_session"]
    with psycopg.connect(database_url) as conn:
        hashes = [r[0] for r in conn.execute("SELECT token_hash FROM sessions").fetchall()]
    assert hashes and token not in hashes


def test_secure_cookie_when_configured(database_url: str, seeded: World) -> None:
    from clinician_ui import create_app

    with TestClient(create_app(database_url), base_url="https://testserver") as client:
        response = client.post("/api/session", json={"username": "nurse", "password": PASSWORD})
        assert "Secure" in response.headers["set-cookie"]


def test_bad_credentials_are_refused(app_client: TestClient) -> None:
    for username, password in [("nurse", "wrong"), ("nobody", PASSWORD), ("nurse", "")]:
        response = app_client.post("/api/session", json={"username": username, "password": password})
        assert response.status_code == 401
        assert response.json()["detail"]
    assert app_client.get("/api/alerts").status_code == 401


def test_login_is_throttled_after_five_failures(app_client: TestClient, database_url: str) -> None:
    for _ in range(5):
        assert app_client.post("/api/session", json={"username": "nurse", "password": "x"}).status_code == 401
    response = app_client.post("/api/session", json={"username": "nurse", "password": PASSWORD})
    assert response.status_code == 429
    assert "try again" in response.json()["detail"]
    # Another user from the same address is not locked out.
    assert app_client.post("/api/session", json={"username": "gp", "password": PASSWORD}).status_code == 200
    assert len(_audit(database_url, "login.failed")) == 5


def test_logout_ends_the_session(app_client: TestClient) -> None:
    login(app_client, "nurse")
    assert app_client.delete("/api/session").status_code == 200
    assert app_client.get("/api/alerts").status_code == 401


def test_patient_role_has_no_clinician_access(app_client: TestClient, database_url: str, seeded: World) -> None:
    from clinician_ui.accounts import create_user

    with psycopg.connect(database_url) as conn:
        create_user(conn, username="inger", password=PASSWORD, display_name="Inger", role="patient",
                    organisation_id=seeded.nursing_org)
    login(app_client, "inger")
    assert app_client.get("/api/patients").status_code == 403


def test_alert_queue_is_worst_first_then_oldest(app_client: TestClient, database_url: str, seeded: World) -> None:
    now = datetime.now(UTC)
    with psycopg.connect(database_url) as conn:
        second = seed.patient(conn, "Karl Nielsen", seeded.nursing_org, seeded.gp_org, ["diabetes"])
        yellow_old = seed.alert(conn, seeded.patient_id, code="spo2", loinc="59408-5", severity="yellow",
                                value=92, bound=93, unit="%", opened_at=now - timedelta(hours=5))
        red_new = seed.alert(conn, seeded.patient_id, opened_at=now - timedelta(minutes=5))
        red_old = seed.alert(conn, second, code="glucose", loinc="14743-9", value=2.6, bound=3.0,
                             unit="mmol/L", opened_at=now - timedelta(hours=1))
        seed.alert(conn, seeded.other_patient_id)
    login(app_client, "nurse")
    alerts = app_client.get("/api/alerts").json()
    assert [a["id"] for a in alerts] == [red_old, red_new, yellow_old]
    first = alerts[0]
    assert set(first) >= {"id", "patient_id", "patient_name", "rule", "code", "severity", "status", "opened_at",
                          "updated_at", "observed_at", "value", "explanation"}
    assert first["patient_name"] == "Karl Nielsen" and first["value"] == 2.6
    assert first["explanation"]["text"]["da"] == "Blodsukker 2,6 mmol/l er under den røde grænse 3."
    listed = {row[1] for row in _audit(database_url, "alert.list")}
    assert listed == {seeded.patient_id, second}


def test_acknowledge_then_resolve(app_client: TestClient, database_url: str, seeded: World) -> None:
    with psycopg.connect(database_url) as conn:
        alert_id = seed.alert(conn, seeded.patient_id)
    csrf = login(app_client, "nurse")
    nurse_id = _user_id(database_url, "nurse")

    response = app_client.post(f"/api/alerts/{alert_id}/acknowledge", json={"note": "Ringer til hende nu"},
                               headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200, response.text
    acked = response.json()
    assert acked["status"] == "acknowledged" and acked["ack_note"] == "Ringer til hende nu"
    assert _audit(database_url, "alert.acknowledge") == [
        (nurse_id, seeded.patient_id, {"alert_id": alert_id, "note": "Ringer til hende nu"})]
    assert [a["status"] for a in app_client.get("/api/alerts").json()] == ["acknowledged"]
    assert app_client.get("/api/alerts?status=open").json() == []

    again = app_client.post(f"/api/alerts/{alert_id}/acknowledge", json={}, headers={"X-CSRF-Token": csrf})
    assert again.status_code == 409

    bad = app_client.post(f"/api/alerts/{alert_id}/resolve", json={"outcome": "magic"},
                          headers={"X-CSRF-Token": csrf})
    assert bad.status_code == 422
    done = app_client.post(f"/api/alerts/{alert_id}/resolve", json={"outcome": "home_visit", "note": "BT 150"},
                           headers={"X-CSRF-Token": csrf})
    assert done.status_code == 200
    assert done.json()["status"] == "resolved" and done.json()["outcome"] == "home_visit"
    assert _audit(database_url, "alert.resolve")[0][:2] == (nurse_id, seeded.patient_id)
    assert app_client.get("/api/alerts").json() == []
    assert [a["id"] for a in app_client.get("/api/alerts?status=resolved").json()] == [alert_id]


def test_acknowledge_without_a_body(app_client: TestClient, database_url: str, seeded: World) -> None:
    with psycopg.connect(database_url) as conn:
        alert_id = seed.alert(conn, seeded.patient_id)
    csrf = login(app_client, "nurse")
    response = app_client.post(f"/api/alerts/{alert_id}/acknowledge", headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200 and response.json()["ack_note"] is None


def test_csrf_token_is_required(app_client: TestClient, database_url: str, seeded: World) -> None:
    with psycopg.connect(database_url) as conn:
        alert_id = seed.alert(conn, seeded.patient_id)
    login(app_client, "nurse")
    for headers in ({}, {"X-CSRF-Token": "forged"}):
        response = app_client.post(f"/api/alerts/{alert_id}/acknowledge", json={"note": "x"}, headers=headers)
        assert response.status_code == 403
        response = app_client.post(f"/api/alerts/{alert_id}/resolve", json={"outcome": "false_alarm"},
                                   headers=headers)
        assert response.status_code == 403
    form = app_client.post(f"/alerts/{alert_id}/acknowledge", data={"note": "x"}, follow_redirects=False)
    assert form.status_code == 403
    assert app_client.get("/api/alerts").json()[0]["status"] == "open"
    assert _audit(database_url, "alert.acknowledge") == []


def test_patients_and_observations(app_client: TestClient, database_url: str, seeded: World) -> None:
    login(app_client, "gp")
    patients = app_client.get("/api/patients").json()
    assert [p["id"] for p in patients] == [seeded.patient_id]
    assert patients[0]["conditions"] == ["heart_failure", "copd"]
    assert patients[0]["open_alerts"] == 0 and patients[0]["latest_reading_at"]

    detail = app_client.get(f"/api/patients/{seeded.patient_id}").json()
    assert detail["display_name"] == "Inger Jensen" and "8480-6" in detail["measured_codes"]

    rows = app_client.get(f"/api/patients/{seeded.patient_id}/observations?code=8480-6&days=7").json()
    assert len(rows) == 7
    assert set(rows[0]) == {"id", "code", "value", "unit", "measured_at", "source", "flags"}
    assert all(r["code"] == "8480-6" for r in rows)
    assert rows == sorted(rows, key=lambda r: r["measured_at"])
    assert len(app_client.get(f"/api/patients/{seeded.patient_id}/observations").json()) == 60
    assert {r[1] for r in _audit(database_url, "patient.observations")} == {seeded.patient_id}
    assert _audit(database_url, "patient.view")[0][1] == seeded.patient_id


def test_within_a_severity_patients_at_higher_risk_come_first(app_client: TestClient, database_url: str,
                                                              seeded: World) -> None:
    now = datetime.now(UTC)
    with psycopg.connect(database_url) as conn:
        second = seed.patient(conn, "Karl Nielsen", seeded.nursing_org, seeded.gp_org, ["diabetes"])
        older = seed.alert(conn, seeded.patient_id, opened_at=now - timedelta(hours=3))
        at_risk = seed.alert(conn, second, code="glucose", loinc="14743-9", value=2.6, bound=3.0,
                             unit="mmol/L", opened_at=now - timedelta(minutes=5))
        conn.execute("UPDATE alerts SET priority = 2 WHERE id = %s", (at_risk,))  # lives alone, two conditions
    login(app_client, "nurse")
    assert [a["id"] for a in app_client.get("/api/alerts").json()] == [at_risk, older]
