"""A user of another organisation gets 404 for every patient route, page and action."""

from __future__ import annotations

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.clinician_ui import seed
from tests.clinician_ui.conftest import login
from tests.clinician_ui.seed import World


@pytest.fixture
def alert_id(database_url: str, seeded: World) -> int:
    with psycopg.connect(database_url) as conn:
        return seed.alert(conn, seeded.patient_id)


def test_another_organisation_sees_nothing(app_client: TestClient, database_url: str, seeded: World,
                                           alert_id: int) -> None:
    csrf = login(app_client, "outsider")
    pid = seeded.patient_id
    gets = [f"/api/patients/{pid}", f"/api/patients/{pid}/observations", f"/api/patients/{pid}/observations?days=90",
            f"/patients/{pid}", f"/patients/{pid}?days=7", f"/partials/alerts/{alert_id}"]
    for path in gets:
        assert app_client.get(path).status_code == 404, path
    headers = {"X-CSRF-Token": csrf}
    posts = [(f"/api/alerts/{alert_id}/acknowledge", {"json": {"note": "x"}, "headers": headers}),
             (f"/api/alerts/{alert_id}/resolve", {"json": {"outcome": "false_alarm"}, "headers": headers}),
             (f"/alerts/{alert_id}/acknowledge", {"data": {"csrf_token": csrf}}),
             (f"/alerts/{alert_id}/resolve", {"data": {"csrf_token": csrf, "outcome": "false_alarm"}})]
    for path, kwargs in posts:
        assert app_client.post(path, follow_redirects=False, **kwargs).status_code == 404, path

    assert [p["id"] for p in app_client.get("/api/patients").json()] == [seeded.other_patient_id]
    assert app_client.get("/api/alerts").json() == []
    assert app_client.get("/api/alerts?status=open").json() == []
    assert "Inger Jensen" not in app_client.get("/").text
    assert "Inger Jensen" not in app_client.get("/patients").text
    with psycopg.connect(database_url) as conn:
        status = conn.execute("SELECT status FROM alerts WHERE id = %s", (alert_id,)).fetchone()
        audited = conn.execute("SELECT count(*) FROM audit_log WHERE patient_id = %s", (pid,)).fetchone()
    assert status == ("open",)
    assert audited == (0,)


def test_nursing_team_and_gp_both_see_the_patient(app_client: TestClient, seeded: World, alert_id: int) -> None:
    for username in ("nurse", "gp"):
        login(app_client, username)
        assert app_client.get(f"/api/patients/{seeded.patient_id}").status_code == 200
        assert [a["id"] for a in app_client.get("/api/alerts").json()] == [alert_id]


def test_signed_out_gets_401_or_the_login_page(app_client: TestClient, seeded: World) -> None:
    for path in ("/api/alerts", "/api/patients", f"/api/patients/{seeded.patient_id}"):
        assert app_client.get(path).status_code == 401
    for path in ("/", "/patients", f"/patients/{seeded.patient_id}"):
        response = app_client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")
