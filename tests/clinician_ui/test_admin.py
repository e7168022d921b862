"""Organisation admin: enrolment, kits (one patient at a time), threshold overrides with history, kit health,
quarantine, the audit log, and refusals for other roles and other organisations."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient

from clinician_ui.queries.overrides import active_overrides
from tests.clinician_ui import seed
from tests.clinician_ui.conftest import login
from tests.clinician_ui.seed import World


@pytest.fixture
def admins(database_url: str, seeded: World) -> None:
    with psycopg.connect(database_url) as conn:
        seed.user(conn, "admin", "admin", seeded.nursing_org, "Anne Admin")
        seed.user(conn, "admin2", "admin", seeded.other_org, "Søren Syd")


def _enrol_form(csrf: str, seeded: World, **over: object) -> dict[str, object]:
    form: dict[str, object] = {"csrf_token": csrf, "name": "Erik Ny", "birth_year": "1941",
                               "programmes": ["copd", "heart_failure"], "nursing_org": str(seeded.nursing_org),
                               "gp_org": str(seeded.gp_org)}
    form.update(over)
    return form


def test_enrol_a_patient(app_client: TestClient, database_url: str, seeded: World, admins: None) -> None:
    csrf = login(app_client, "admin")
    response = app_client.post("/admin/patients", data=_enrol_form(csrf, seeded), follow_redirects=False)
    assert response.status_code == 303
    pid = int(re.search(r"/admin/patients/(\d+)", response.headers["location"]).group(1))  # type: ignore[union-attr]
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT display_name, birth_year, conditions, nursing_org_id, gp_org_id FROM patients"
                           " WHERE id = %s", (pid,)).fetchone()
        audited = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'admin.patient.enrol'"
                               " AND patient_id = %s", (pid,)).fetchone()
    assert row == ("Erik Ny", 1941, ["copd", "heart_failure"], seeded.nursing_org, seeded.gp_org)
    assert audited == (1,)
    page = app_client.get(response.headers["location"]).text
    assert "Borgeren er oprettet" in page
    # Programmes and care team can change later.
    response = app_client.post(f"/admin/patients/{pid}/care", data={
        "csrf_token": csrf, "programmes": ["diabetes"], "nursing_org": str(seeded.nursing_org),
        "gp_org": str(seeded.gp_org)}, follow_redirects=False)
    assert response.status_code == 303


def test_enrolment_errors_next_to_the_fields(app_client: TestClient, database_url: str, seeded: World,
                                             admins: None) -> None:
    csrf = login(app_client, "admin")
    response = app_client.post("/admin/patients", data=_enrol_form(csrf, seeded, name=" ", birth_year="19x",
                                                                   programmes=[], gp_org=""))
    assert response.status_code == 422
    html = response.text
    for field, text in (("name", "Skriv borgerens navn."), ("birth_year", "Skriv et årstal"),
                        ("programmes", "Vælg mindst ét forløb."), ("gp_org", "Vælg borgerens lægepraksis.")):
        assert f'id="e-{field}-err"' in html and text in html, field
    # An admin cannot enrol a patient outside her own organisation's care.
    response = app_client.post("/admin/patients", data=_enrol_form(csrf, seeded, nursing_org=str(seeded.other_org)))
    assert response.status_code == 422 and "Din egen organisation skal være en del af plejeteamet." in response.text
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM patients").fetchone() == (2,)


def test_a_kit_is_with_one_patient_at_a_time(app_client: TestClient, database_url: str, seeded: World,
                                             admins: None) -> None:
    with psycopg.connect(database_url) as conn:
        karl = seed.patient(conn, "Karl Nielsen", seeded.nursing_org, seeded.gp_org, ["diabetes"])
        seed.kit(conn, "gw-other-org", seeded.other_patient_id)
    csrf = login(app_client, "admin")
    assert app_client.post("/admin/kits", data={"csrf_token": csrf, "gateway_id": "gw-100", "label": "Boks 100"},
                           follow_redirects=False).status_code == 303
    bad = app_client.post("/admin/kits", data={"csrf_token": csrf, "gateway_id": "gw-100"})
    assert bad.status_code == 422 and "allerede registreret" in bad.text
    ok = app_client.post(f"/admin/patients/{seeded.patient_id}/kit", data={"csrf_token": csrf, "gateway_id": "gw-100"},
                         follow_redirects=False)
    assert ok.status_code == 303
    taken = app_client.post(f"/admin/patients/{karl}/kit", data={"csrf_token": csrf, "gateway_id": "gw-100"})
    assert taken.status_code == 422
    assert 'id="k-gateway_id-err"' in taken.text and "Boksen er allerede hos en anden borger" in taken.text
    api = app_client.post(f"/api/admin/patients/{karl}/kit", json={"gateway_id": "gw-100"},
                          headers={"X-CSRF-Token": csrf})
    assert api.status_code == 409 and api.json()["errors"] == {
        "gateway_id": "That kit is already with another patient. Unassign it there first."}
    # Another organisation's kit is not ours to hand out.
    other = app_client.post(f"/admin/patients/{karl}/kit", data={"csrf_token": csrf, "gateway_id": "gw-other-org"})
    assert other.status_code == 422 and "Den boks kender vi ikke" in other.text
    assert app_client.post(f"/admin/patients/{seeded.patient_id}/kit/unassign", data={"csrf_token": csrf},
                           follow_redirects=False).status_code == 303
    assert app_client.post(f"/api/admin/patients/{karl}/kit", json={"gateway_id": "gw-100"},
                           headers={"X-CSRF-Token": csrf}).status_code == 201
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT patient_id, valid_to IS NULL FROM kit_assignments WHERE gateway_id = 'gw-100'"
                            " ORDER BY valid_from").fetchall()
        actions = [r[0] for r in conn.execute(
            "SELECT action FROM audit_log WHERE action LIKE 'admin.kit.%' AND action <> 'admin.kit.list'"
            " ORDER BY id").fetchall()]
    assert rows == [(seeded.patient_id, False), (karl, True)]
    assert actions == ["admin.kit.register", "admin.kit.assign", "admin.kit.unassign", "admin.kit.assign"]


def test_threshold_overrides_with_history(app_client: TestClient, database_url: str, seeded: World,
                                          admins: None) -> None:
    csrf = login(app_client, "admin")
    pid = seeded.patient_id
    form = {"csrf_token": csrf, "code": "spo2", "red_low": "85", "yellow_low": "88", "reason": "Habituel SAT 88-90"}
    assert app_client.post(f"/admin/patients/{pid}/overrides", data=form, follow_redirects=False).status_code == 303
    again = {**form, "red_low": "86", "reason": "Efter samtale med læge"}
    assert app_client.post(f"/admin/patients/{pid}/overrides", data=again, follow_redirects=False).status_code == 303
    with psycopg.connect(database_url) as conn:
        assert active_overrides(conn, pid) == {"spo2": (86.0, 88.0, None, None)}
        assert active_overrides(conn, seeded.other_patient_id) == {}
    history = app_client.get(f"/api/admin/patients/{pid}/overrides").json()
    assert [(h["red_low"], h["reason"], h["ended_at"] is None, h["set_by_name"]) for h in history] == [
        (86.0, "Efter samtale med læge", True, "Anne Admin"), (85.0, "Habituel SAT 88-90", False, "Anne Admin")]
    assert history[1]["ended_by_name"] == "Anne Admin"
    page = app_client.get(f"/admin/patients/{pid}").text
    assert "Habituel SAT 88-90" in page and "gælder nu" in page
    # The patient's charts draw her own limits.
    login(app_client, "gp")
    chart_page = app_client.get(f"/patients/{pid}").text
    data = json.loads(re.search(r'id="chart-data">(.*?)</script>', chart_page, re.S).group(1))  # type: ignore[union-attr]
    spo2 = next(c for c in data["charts"] if c["loinc"] == "59408-5")
    assert spo2["bands"] == {"red_low": 86.0, "yellow_low": 88.0, "yellow_high": None, "red_high": None}
    csrf = login(app_client, "admin")
    assert app_client.post(f"/admin/patients/{pid}/overrides/spo2/end", data={"csrf_token": csrf},
                           follow_redirects=False).status_code == 303
    with psycopg.connect(database_url) as conn:
        assert active_overrides(conn, pid) == {}
        assert conn.execute("SELECT count(*) FROM audit_log"
                            " WHERE action IN ('admin.override.set', 'admin.override.end')").fetchone() == (3,)


def test_override_errors(app_client: TestClient, seeded: World, admins: None) -> None:
    csrf = login(app_client, "admin")
    response = app_client.post(f"/admin/patients/{seeded.patient_id}/overrides", data={
        "csrf_token": csrf, "code": "spo2", "red_low": "90", "yellow_low": "88", "reason": ""})
    assert response.status_code == 422
    assert 'id="o-red_low-err"' in response.text and "Grænserne skal stige" in response.text
    assert 'id="o-reason-err"' in response.text
    api = app_client.post(f"/api/admin/patients/{seeded.patient_id}/overrides",
                          json={"code": "spo2", "red_low": 20, "reason": "x"}, headers={"X-CSRF-Token": csrf})
    assert api.status_code == 422 and set(api.json()["errors"]) == {"red_low"}


def test_kit_health_and_quarantine(app_client: TestClient, database_url: str, seeded: World, admins: None) -> None:
    now = datetime.now(UTC)
    with psycopg.connect(database_url) as conn:
        seed.kit(conn, "gw-inger", seeded.patient_id, online=False, last_seen=now - timedelta(hours=9),
                 devices={"a": {"battery": 14, "name": "Vægt"}}, outbox_depth=37)
        seed.kit(conn, "gw-poul", seeded.other_patient_id)
        for topic, reason in [("nearcare/v1/gw/gw-inger/obs", "unknown code 1234-5"),
                              ("nearcare/v1/gw/gw-inger/obs", "unknown code 9999-9"),
                              ("nearcare/v1/gw/gw-inger/obs", "not JSON: expected value"),
                              ("nearcare/v1/gw/gw-poul/obs", "unknown code 1111-1")]:
            conn.execute("INSERT INTO quarantine (topic, payload, reason) VALUES (%s, %s, %s)",
                         (topic, b"{}", reason))
    csrf = login(app_client, "admin")
    kits = app_client.get("/admin/kits").text
    assert "gw-inger" in kits and "Ingen kontakt" in kits and ">37<" in kits
    assert 'Vægt: <strong class="low">14 %' in kits
    assert "gw-poul" not in kits
    page = app_client.get("/admin/quarantine").text
    assert "Ukendt måling</strong>: 2" in page and "Ulæselig besked</strong>: 1" in page
    assert "1111-1" not in page
    response = app_client.post("/admin/quarantine/replay", data={"csrf_token": csrf}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/admin/quarantine?replayed=")
    with psycopg.connect(database_url) as conn:
        detail = conn.execute("SELECT detail FROM audit_log WHERE action = 'admin.quarantine.replay'").fetchone()
    assert detail and detail[0]["rows"] == 3


def test_audit_log_for_admins(app_client: TestClient, database_url: str, seeded: World, admins: None) -> None:
    login(app_client, "nurse")
    app_client.get(f"/patients/{seeded.patient_id}")
    login(app_client, "outsider")
    app_client.get(f"/patients/{seeded.other_patient_id}")
    login(app_client, "admin")
    page = app_client.get("/admin/audit").text
    assert 'data-action="patient.view"' in page and "Hanne Sygeplejerske" in page
    assert "Ole Udenfor" not in page and "Poul Hansen" not in page
    nurse_id = _uid(database_url, "nurse")
    filtered = app_client.get(f"/admin/audit?patient={seeded.patient_id}&user={nurse_id}").text
    assert filtered.count('data-action="patient.view"') == 1 and 'data-action="login"' not in filtered
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    assert 'data-action=' not in app_client.get(f"/admin/audit?from={tomorrow}&to={tomorrow}").text


def _uid(database_url: str, username: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT id FROM users WHERE username = %s", (username,)).fetchone()
    assert row
    return int(row[0])


def test_admin_routes_refuse_other_roles_and_organisations(app_client: TestClient, database_url: str,
                                                           seeded: World, admins: None) -> None:
    pid = seeded.patient_id
    gets = ["/admin", "/admin/kits", "/admin/quarantine", "/admin/audit", f"/admin/patients/{pid}",
            f"/api/admin/patients/{pid}/overrides"]
    csrf = login(app_client, "nurse")
    for path in gets:
        assert app_client.get(path).status_code == 403, path
    assert app_client.post("/admin/patients", data=_enrol_form(csrf, seeded)).status_code == 403
    csrf = login(app_client, "admin2")  # admin of another organisation
    headers = {"X-CSRF-Token": csrf}
    assert app_client.get(f"/admin/patients/{pid}").status_code == 404
    assert app_client.get(f"/api/admin/patients/{pid}/overrides").status_code == 404
    posts = [(f"/admin/patients/{pid}/care", {"data": {"csrf_token": csrf, "programmes": ["copd"]}}),
             (f"/admin/patients/{pid}/kit", {"data": {"csrf_token": csrf, "gateway_id": "x"}}),
             (f"/admin/patients/{pid}/kit/unassign", {"data": {"csrf_token": csrf}}),
             (f"/admin/patients/{pid}/overrides", {"data": {"csrf_token": csrf, "code": "spo2", "red_low": "80",
                                                            "reason": "x"}}),
             (f"/admin/patients/{pid}/overrides/spo2/end", {"data": {"csrf_token": csrf}}),
             (f"/api/admin/patients/{pid}/overrides", {"json": {"code": "spo2", "red_low": 80, "reason": "x"},
                                                       "headers": headers}),
             (f"/api/admin/patients/{pid}/kit", {"json": {"gateway_id": "x"}, "headers": headers})]
    for path, kwargs in posts:
        assert app_client.post(path, follow_redirects=False, **kwargs).status_code == 404, path
    assert "Inger Jensen" not in app_client.get("/admin").text
    assert "Inger Jensen" not in app_client.get("/admin/audit").text
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM threshold_overrides").fetchone() == (0,)


def test_measurement_plan_is_set_shown_audited_and_checked(app_client: TestClient, database_url: str,
                                                           seeded: World, admins: None) -> None:
    csrf = login(app_client, "admin")
    url = f"/admin/patients/{seeded.patient_id}/plans"
    bad = app_client.post(url, data={"csrf_token": csrf, "code": "body_weight", "frequency": "daily",
                                     "due_by": "ten o'clock"})
    assert bad.status_code == 422
    assert 'id="p-due_by-err"' in bad.text and "Skriv et klokkeslæt som 10:00." in bad.text
    ok = app_client.post(url, data={"csrf_token": csrf, "code": "body_weight", "frequency": "daily",
                                    "due_by": "9:30"}, follow_redirects=True)
    assert ok.status_code == 200 and "hver dag inden kl. 09:30" in ok.text
    with psycopg.connect(database_url) as conn:
        plan = conn.execute("SELECT code, frequency, due_by::text FROM measurement_plans WHERE patient_id = %s",
                            (seeded.patient_id,)).fetchall()
        audited = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'admin.plan.set'").fetchone()[0]
    assert plan == [("body_weight", "daily", "09:30:00")] and audited == 1
    gone = app_client.post(f"{url}/body_weight/delete", data={"csrf_token": csrf}, follow_redirects=True)
    assert "Ingen måleplan endnu." in gone.text


def test_measurement_plan_of_another_organisation_is_refused(app_client: TestClient, seeded: World,
                                                             admins: None) -> None:
    csrf = login(app_client, "admin2")
    response = app_client.post(f"/admin/patients/{seeded.patient_id}/plans",
                               data={"csrf_token": csrf, "code": "body_weight", "frequency": "daily",
                                     "due_by": "10:00"})
    assert response.status_code == 404
