"""Liveness, readiness and Prometheus metrics of the web app."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import psycopg
from fastapi.testclient import TestClient

from clinician_ui import create_app
from tests.clinician_ui import seed
from tests.clinician_ui.seed import World


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text format (0 when absent)."""
    for line in text.splitlines():
        if not line.startswith(name + ("{" if labels else " ")):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line[:line.rindex("}")])) if labels else {}
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_liveness_needs_no_database() -> None:
    app = create_app("postgresql://nobody@127.0.0.1:1/none")
    client = TestClient(app)  # no lifespan: no pool, no listener
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["checks"] == {"database": False, "alert_listener": False}


def test_ready_when_database_and_listener_are_up(app_client: TestClient) -> None:
    response = app_client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json() == {"status": "ready", "checks": {"database": True, "alert_listener": True}}


def test_metrics_by_route_template_open_alerts_and_time_to_acknowledge(
        nurse: tuple[TestClient, str], seeded: World, database_url: str) -> None:
    client, csrf = nurse
    with psycopg.connect(database_url) as conn:
        red = seed.alert(conn, seeded.patient_id, opened_at=datetime.now(UTC) - timedelta(minutes=7))
        seed.alert(conn, seeded.patient_id, severity="yellow", code="spo2", loinc="59408-5", value=90, bound=91)
    before = client.get("/metrics").text
    route = "/api/patients/{patient_id}"
    assert client.get(f"/api/patients/{seeded.patient_id}").status_code == 200
    assert client.post(f"/api/alerts/{red}/acknowledge", json={}, headers={"X-CSRF-Token": csrf}).status_code == 200
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert _sample(text, "nearcare_http_requests_total", method="GET", route=route, status="200") \
        == _sample(before, "nearcare_http_requests_total", method="GET", route=route, status="200") + 1
    assert str(seeded.patient_id) not in re.findall(r'route="([^"]*)"', text)
    assert _sample(text, "nearcare_http_request_duration_seconds_count", method="GET", route=route) >= 1
    assert _sample(text, "nearcare_alerts_open", severity="red") == 1  # acknowledged is still open
    assert _sample(text, "nearcare_alerts_open", severity="yellow") == 1
    assert _sample(text, "nearcare_alerts_open", severity="review") == 0
    count = "nearcare_alert_time_to_acknowledge_seconds_count"
    assert _sample(text, count) == _sample(before, count) + 1
    le_10m = "nearcare_alert_time_to_acknowledge_seconds_bucket"
    assert _sample(text, le_10m, le="600.0") == _sample(before, le_10m, le="600.0") + 1
    assert _sample(text, "nearcare_websocket_clients") == 0
    # Observed once: a second scrape does not count the same acknowledgement again.
    assert _sample(client.get("/metrics").text, count) == _sample(text, count)


def test_worker_processes_can_serve_their_registry() -> None:
    import urllib.request

    from prometheus_client import CollectorRegistry, Gauge

    from nearcare.metrics_server import serve_metrics

    registry = CollectorRegistry()
    Gauge("nearcare_gateway_outbox_depth", "Readings waiting in the outbox.", registry=registry).set(3)
    server, _thread = serve_metrics(0, "127.0.0.1", registry)
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/metrics", timeout=5) as response:
            body = response.read().decode()
    finally:
        server.shutdown()
    assert "nearcare_gateway_outbox_depth 3.0" in body
