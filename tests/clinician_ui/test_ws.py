"""The live websocket: an alert NOTIFY reaches the right organisations within two seconds, and no one else."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from starlette.testclient import WebSocketTestSession
from starlette.websockets import WebSocketDisconnect

from tests.clinician_ui import seed
from tests.clinician_ui.conftest import login
from tests.clinician_ui.seed import World


def receive_within(ws: WebSocketTestSession, seconds: float) -> Any:
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(ws.receive_json).result(timeout=seconds)


def next_alert(ws: WebSocketTestSession, seconds: float = 2.0) -> dict[str, Any]:
    while True:
        message = receive_within(ws, seconds)
        if message["type"] == "alert":
            return message


def test_refused_without_a_session(app_client: TestClient) -> None:
    with pytest.raises(WebSocketDisconnect) as refused, app_client.websocket_connect("/ws"):
        pass
    assert refused.value.code == 1008
    app_client.cookies.set("nearcare_session", "made-up")
    with pytest.raises(WebSocketDisconnect), app_client.websocket_connect("/ws"):
        pass


def test_refused_from_another_site(app_client: TestClient) -> None:
    login(app_client, "nurse")
    with pytest.raises(WebSocketDisconnect), app_client.websocket_connect(
            "/ws", headers={"origin": "https://evil.example"}):
        pass


def test_alert_is_pushed_to_its_organisations_only(app_client: TestClient, database_url: str,
                                                   seeded: World) -> None:
    login(app_client, "outsider")
    outsider_token = app_client.cookies["nearcare_session"]
    app_client.cookies.clear()
    login(app_client, "nurse")
    with app_client.websocket_connect("/ws") as ws_nurse:
        app_client.cookies.set("nearcare_session", outsider_token)
        with app_client.websocket_connect("/ws") as ws_out:
            assert receive_within(ws_nurse, 2)["type"] == "hello"
            assert receive_within(ws_out, 2)["type"] == "hello"
            with psycopg.connect(database_url) as conn:
                ours = seed.alert(conn, seeded.patient_id, notify=True)
            message = next_alert(ws_nurse)
            assert message["event"] == "opened"
            alert = message["alert"]
            assert alert["id"] == ours and alert["patient_name"] == "Inger Jensen"
            assert set(alert) >= {"id", "patient_id", "patient_name", "rule", "code", "severity", "status",
                                  "opened_at", "updated_at", "observed_at", "value", "explanation"}
            assert "nursing_org_id" not in alert

            # Notifications are handled in order: the outsider's first alert must be their own one.
            with psycopg.connect(database_url) as conn:
                theirs = seed.alert(conn, seeded.other_patient_id, notify=True)
            assert next_alert(ws_out)["alert"]["id"] == theirs


def test_acknowledging_pushes_an_update(app_client: TestClient, database_url: str, seeded: World) -> None:
    with psycopg.connect(database_url) as conn:
        alert_id = seed.alert(conn, seeded.patient_id)
    csrf = login(app_client, "nurse")
    with app_client.websocket_connect("/ws") as ws:
        assert receive_within(ws, 2)["type"] == "hello"
        response = app_client.post(f"/api/alerts/{alert_id}/acknowledge", json={"note": "set"},
                                   headers={"X-CSRF-Token": csrf})
        assert response.status_code == 200
        message = next_alert(ws)
        assert message["event"] == "acknowledged"
        assert message["alert"]["status"] == "acknowledged"
    with psycopg.connect(database_url) as conn:
        pushed = conn.execute("SELECT count(*) FROM audit_log WHERE action = 'alert.pushed'").fetchone()
    assert pushed == (1,)


def test_logout_closes_the_socket(app_client: TestClient) -> None:
    login(app_client, "nurse")
    with app_client.websocket_connect("/ws") as ws:
        assert receive_within(ws, 2)["type"] == "hello"
        app_client.delete("/api/session")
        with pytest.raises(WebSocketDisconnect):
            receive_within(ws, 2)


def test_listener_reconnects_after_losing_its_connection(app_client: TestClient, database_url: str,
                                                         seeded: World) -> None:
    login(app_client, "nurse")
    with app_client.websocket_connect("/ws") as ws:
        assert receive_within(ws, 2)["type"] == "hello"
        with psycopg.connect(database_url, autocommit=True) as conn:
            killed = conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                                  " WHERE datname = current_database() AND query = 'LISTEN nearcare_alerts'"
                                  ).fetchall()
        assert killed == [(True,)]
        # Back again, the app tells clients to reload their queue: alerts may have come meanwhile.
        assert receive_within(ws, 5)["type"] == "resync"
        with psycopg.connect(database_url) as conn:
            alert_id = seed.alert(conn, seeded.patient_id, notify=True)
        assert next_alert(ws)["alert"]["id"] == alert_id
