"""The nurse's triage tools: sparklines, assign, escalate, snooze, kit problems and typed-in readings."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient

from clinician_ui.i18n import TZ
from tests.clinician_ui import seed
from tests.clinician_ui.conftest import login
from tests.clinician_ui.seed import World


@pytest.fixture
def alert_id(database_url: str, seeded: World) -> int:
    with psycopg.connect(database_url) as conn:
        seed.user(conn, "mette", "nurse", seeded.nursing_org, "Mette Kollega")
        seed.user(conn, "ole2", "nurse", seeded.other_org, "Ole Andensteds")
        return seed.alert(conn, seeded.patient_id, value=186, bound=179)


def _uid(database_url: str, username: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT id FROM users WHERE username = %s", (username,)).fetchone()
    assert row
    return int(row[0])


def _audit(database_url: str, action: str) -> list[tuple[int, int, dict]]:
    with psycopg.connect(database_url) as conn:
        return conn.execute("SELECT user_id, patient_id, detail FROM audit_log WHERE action = %s ORDER BY id",
                            (action,)).fetchall()


def test_each_row_has_a_sparkline_of_recent_values(app_client: TestClient, seeded: World, alert_id: int) -> None:
    login(app_client, "nurse")
    html = app_client.get("/").text
    canvas = re.search(r'<canvas class="spark"[^>]*>', html)
    assert canvas, html
    values = re.search(r'data-values="\[([^\]]*)\]"', canvas.group(0))
    assert values and len(values.group(1).split(",")) == 20  # the last 20 systolic readings
    assert 'data-bound="179' in canvas.group(0) and 'data-severity="red"' in canvas.group(0)
    assert 'aria-label="Seneste 20 målinger: fra' in canvas.group(0)
    assert 'src="/static/sparkline.js"' in html
    assert app_client.get("/static/sparkline.js").status_code == 200


def test_assign_to_a_colleague(app_client: TestClient, database_url: str, seeded: World, alert_id: int) -> None:
    csrf = login(app_client, "nurse")
    mette = _uid(database_url, "mette")
    response = app_client.post(f"/api/alerts/{alert_id}/assign", json={"user_id": mette, "note": "Du er derude"},
                               headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["responsible_kind"] == "assigned" and body["responsible_name"] == "Mette Kollega"
    assert body["status"] == "acknowledged"  # handing on means it has been seen
    assert _audit(database_url, "alert.assign")[0][2] == {"alert_id": alert_id, "to_user": mette,
                                                          "note": "Du er derude"}
    assert "Ansvarlig: Mette Kollega" in app_client.get("/").text
    # Only colleagues of one's own organisation.
    ole = _uid(database_url, "ole2")
    refused = app_client.post(f"/api/alerts/{alert_id}/assign", json={"user_id": ole},
                              headers={"X-CSRF-Token": csrf})
    assert refused.status_code == 422


def test_assign_by_form(app_client: TestClient, database_url: str, seeded: World, alert_id: int) -> None:
    csrf = login(app_client, "nurse")
    page = app_client.get("/").text
    assert f'action="/alerts/{alert_id}/assign"' in page and "Mette Kollega" in page
    response = app_client.post(f"/alerts/{alert_id}/assign", data={"csrf_token": csrf, "colleague": _uid(
        database_url, "mette"), "next": "/"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/"


def test_escalate_to_the_gp(app_client: TestClient, database_url: str, seeded: World, alert_id: int) -> None:
    csrf = login(app_client, "nurse")
    response = app_client.post(f"/api/alerts/{alert_id}/escalate", json={"note": "Tiltagende åndenød"},
                               headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["responsible_kind"] == "escalated" and body["responsible_org_name"] == "Lægehuset Havnegade"
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT responsible_role, responsible_org_id, status FROM alerts WHERE id = %s",
                           (alert_id,)).fetchone()
    assert row == ("gp", seeded.gp_org, "acknowledged")
    assert "Sendt til egen læge: Lægehuset Havnegade" in app_client.get("/").text
    # The GP sees who handed it over; a GP does not escalate to the GP.
    gp_csrf = login(app_client, "gp")
    assert "Escalated to GP: Lægehuset Havnegade" in app_client.get("/").text
    assert app_client.post(f"/api/alerts/{alert_id}/escalate", headers={"X-CSRF-Token": gp_csrf}).status_code == 403


def test_snooze_takes_the_alert_out_of_the_queue(app_client: TestClient, database_url: str, seeded: World,
                                                 alert_id: int) -> None:
    csrf = login(app_client, "nurse")
    headers = {"X-CSRF-Token": csrf}
    assert app_client.post(f"/api/alerts/{alert_id}/snooze", json={"choice": "1y", "reason": "x"},
                           headers=headers).status_code == 422
    assert app_client.post(f"/api/alerts/{alert_id}/snooze", json={"choice": "4h", "reason": " "},
                           headers=headers).status_code == 422
    response = app_client.post(f"/api/alerts/{alert_id}/snooze",
                               json={"choice": "tomorrow", "reason": "Besøg i morgen tidlig"}, headers=headers)
    assert response.status_code == 200, response.text
    until = datetime.fromisoformat(response.json()["snoozed_until"]).astimezone(TZ)
    assert (until.hour, until.minute) == (8, 0) and until.date() == (datetime.now(TZ) + timedelta(days=1)).date()
    html = app_client.get("/").text
    open_list = html[html.index('data-list="open"'):html.index('data-empty-for="open"')]
    assert f'id="alert-{alert_id}"' not in open_list
    assert "Udsat til i morgen 08:00" in html and "Besøg i morgen tidlig" in html
    assert app_client.get(f"/partials/alerts/{alert_id}").status_code == 404
    assert _audit(database_url, "alert.snooze")[0][1] == seeded.patient_id


def test_kit_problems_are_listed_apart(app_client: TestClient, database_url: str, seeded: World) -> None:
    now = datetime.now(UTC)
    with psycopg.connect(database_url) as conn:
        karl = seed.patient(conn, "Karl Nielsen", seeded.nursing_org, seeded.gp_org, ["diabetes"])
        else_ = seed.patient(conn, "Else Mortensen", seeded.nursing_org, seeded.gp_org, ["copd"])
        seed.kit(conn, "gw-silent", seeded.patient_id, online=True, last_seen=now - timedelta(hours=5))
        seed.kit(conn, "gw-battery", karl, last_seen=now - timedelta(minutes=3),
                 devices={"C0:4E:30:01:00:AA": {"battery": 12, "name": "Glucometer"}})
        seed.kit(conn, "gw-fine", else_, last_seen=now - timedelta(minutes=3),
                 devices={"C0:4E:30:02:00:AA": {"battery": 80}})
        seed.kit(conn, "gw-other", seeded.other_patient_id, online=False, last_seen=now - timedelta(days=2))
    login(app_client, "nurse")
    html = app_client.get("/").text
    panel = html[html.index('id="kit-problems"'):]
    assert "Problemer med udstyr" in panel and 'class="count count-kit">2<' in panel
    assert "Hjemmeboksen har ikke meldt sig siden" in panel and "Inger Jensen" in panel
    assert "Lavt batteri: Glucometer 12 %" in panel and "Karl Nielsen" in panel
    assert "Else Mortensen" not in panel and "Poul Hansen" not in html
    # The clinical queue is unaffected.
    assert html.index('data-list="open"') < html.index('id="kit-problems"')
    assert {r[1] for r in _audit(database_url, "kit.list")} == {seeded.patient_id, karl}


def _local(dt: datetime) -> str:
    return dt.astimezone(TZ).strftime("%Y-%m-%dT%H:%M")


def test_manual_reading_lands_in_observations_and_the_alert_queue(app_client: TestClient, database_url: str,
                                                                   seeded: World) -> None:
    csrf = login(app_client, "nurse")
    at = datetime.now(UTC) - timedelta(minutes=20)
    form = {"csrf_token": csrf, "code": "bp_systolic", "value": "184", "measured_at": _local(at)}
    response = app_client.post(f"/patients/{seeded.patient_id}/readings", data=form, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/patients/{seeded.patient_id}?saved=1#manual"
    with psycopg.connect(database_url) as conn:
        rows = conn.execute(
            "SELECT o.id, o.code, o.value, o.unit, o.source, o.entered_by, o.device_id, o.gateway_id, q.patient_id"
            " FROM observations o JOIN alert_queue q ON o.id = ANY(q.observation_ids) WHERE o.source = 'manual'"
        ).fetchall()
    assert len(rows) == 1
    obs_id, code, value, unit, source, entered_by, device_id, gateway_id, queued_for = rows[0]
    assert (code, value, unit, source) == ("8480-6", 184.0, "mm[Hg]", "manual")
    assert entered_by == _uid(database_url, "nurse") and device_id is None and gateway_id is None
    assert queued_for == seeded.patient_id
    # The same form sent twice stores the reading once (deterministic id).
    again = app_client.post(f"/patients/{seeded.patient_id}/readings", data=form, follow_redirects=False)
    assert again.headers["location"].endswith("saved=dup#manual")
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM observations WHERE source = 'manual'").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM alert_queue").fetchone() == (1,)
    assert _audit(database_url, "observation.manual")[0][2]["observation_id"] == str(obs_id)
    page = app_client.get(f"/patients/{seeded.patient_id}?saved=1").text
    assert "Målingen er gemt" in page


def test_manual_reading_errors_are_shown_next_to_the_field(app_client: TestClient, database_url: str,
                                                           seeded: World) -> None:
    csrf = login(app_client, "nurse")
    future = datetime.now(UTC) + timedelta(hours=3)
    response = app_client.post(f"/patients/{seeded.patient_id}/readings", data={
        "csrf_token": csrf, "code": "spo2", "value": "140", "measured_at": _local(future)})
    assert response.status_code == 422
    html = response.text
    assert 'id="m-value-err"' in html and "Værdien kan ikke passe for denne måling (50–100 %)" in html
    assert 'id="m-time-err"' in html and "Tidspunktet ligger i fremtiden." in html
    assert 'id="m-code-err"' not in html
    assert 'value="140"' in html  # what she typed is kept
    response = app_client.post(f"/patients/{seeded.patient_id}/readings", data={
        "csrf_token": csrf, "code": "", "value": "abc", "measured_at": ""})
    assert "Vælg hvad der er målt." in response.text and "Skriv et tal" in response.text
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM observations WHERE source = 'manual'").fetchone() == (0,)


def test_manual_reading_api(app_client: TestClient, database_url: str, seeded: World) -> None:
    csrf = login(app_client, "nurse")
    body = {"code": "glucose", "value": "2,7", "measured_at": _local(datetime.now(UTC) - timedelta(minutes=5))}
    response = app_client.post(f"/api/patients/{seeded.patient_id}/observations", json=body,
                               headers={"X-CSRF-Token": csrf})
    assert response.status_code == 201, response.text
    assert response.json()["value"] == 2.7 and response.json()["source"] == "manual"
    bad = app_client.post(f"/api/patients/{seeded.patient_id}/observations",
                          json={**body, "value": "-3"}, headers={"X-CSRF-Token": csrf})
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"value"}


def test_another_organisation_cannot_touch_these(app_client: TestClient, database_url: str, seeded: World,
                                                 alert_id: int) -> None:
    csrf = login(app_client, "outsider")
    headers = {"X-CSRF-Token": csrf}
    ole = _uid(database_url, "ole2")
    calls = [
        (f"/api/alerts/{alert_id}/assign", {"json": {"user_id": ole}, "headers": headers}),
        (f"/api/alerts/{alert_id}/escalate", {"json": {}, "headers": headers}),
        (f"/api/alerts/{alert_id}/snooze", {"json": {"choice": "2h", "reason": "x"}, "headers": headers}),
        (f"/alerts/{alert_id}/assign", {"data": {"csrf_token": csrf, "colleague": ole}}),
        (f"/alerts/{alert_id}/escalate", {"data": {"csrf_token": csrf}}),
        (f"/alerts/{alert_id}/snooze", {"data": {"csrf_token": csrf, "choice": "2h", "reason": "x"}}),
        (f"/api/patients/{seeded.patient_id}/observations",
         {"json": {"code": "spo2", "value": 95, "measured_at": _local(datetime.now(UTC))}, "headers": headers}),
        (f"/patients/{seeded.patient_id}/readings",
         {"data": {"csrf_token": csrf, "code": "spo2", "value": "95", "measured_at": _local(datetime.now(UTC))}}),
    ]
    for path, kwargs in calls:
        assert app_client.post(path, follow_redirects=False, **kwargs).status_code == 404, path
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT status, snoozed_until FROM alerts WHERE id = %s", (alert_id,)).fetchone() == (
            "open", None)
        assert conn.execute("SELECT count(*) FROM alert_responsibility").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM observations WHERE source = 'manual'").fetchone() == (0,)
