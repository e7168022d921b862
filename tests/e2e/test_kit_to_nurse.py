"""End to end: a simulated kit's blood-pressure cuff sends a hypertensive crisis as real GATT bytes; it
travels gateway outbox → MQTT QoS 1 → ingest → PostgreSQL → alert core, and reaches the nurse through the
HTTP API and the websocket. Runs on the machine's PostgreSQL and Mosquitto, and on the embedded defaults."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import pytest
import websockets

from alerts.worker import AlertWorker
from clinician_ui.accounts import create_user
from gateway.sim.scenarios import Sample
from tests.support.platform import EMBEDDED_BROKER, TZ, SimKit, ingest_worker, make_patient
from tests.support.web import serve


@pytest.fixture(params=["services", "embedded"])
def backend(request: pytest.FixtureRequest) -> Iterator[tuple[str, str, bool]]:
    """(database_url, mqtt_url, shared subscription) for each backend."""
    if request.param == "embedded":
        factory = request.getfixturevalue("embedded_db_factory")
        yield factory.new(), request.getfixturevalue("embedded_mqtt"), False
    else:
        yield request.getfixturevalue("database_url"), request.getfixturevalue("mqtt_url"), not EMBEDDED_BROKER


async def _login_and_listen(base: str, n_expected: int, started: asyncio.Event) -> tuple[str, list[dict]]:
    async with httpx.AsyncClient(base_url=f"http://{base}") as client:
        r = await client.post("/api/session", json={"username": "hanne", "password": "correct horse 42"})
        assert r.status_code == 200, r.text
        cookie = client.cookies.get("nearcare_session")
        assert cookie
        got: list[dict] = []
        async with websockets.connect(f"ws://{base}/ws",
                                      additional_headers={"Cookie": f"nearcare_session={cookie}"}) as ws:
            hello = json.loads(await asyncio.wait_for(ws.recv(), timeout=5))
            assert hello["type"] == "hello"  # registered for pushes from here on
            started.set()
            deadline = time.monotonic() + 20
            while len(got) < n_expected and time.monotonic() < deadline:
                try:
                    message = json.loads(await asyncio.wait_for(ws.recv(), timeout=1))
                except TimeoutError:
                    continue
                if message["type"] == "alert":
                    got.append(message)
        return cookie, got


def test_crisis_reading_reaches_the_nurse_live(backend: tuple[str, str, bool], tmp_path: Path) -> None:
    database_url, mqtt_url, shared = backend
    patient, gateway_id, org = make_patient(database_url, conditions=("diabetes",))
    with psycopg.connect(database_url) as conn:
        create_user(conn, username="hanne", password="correct horse 42", display_name="Hanne Holm",
                    role="nurse", organisation_id=org)
    alerts = AlertWorker(database_url, poll_interval_s=0.5)
    alerts.start()
    try:
        with serve(database_url) as base, ingest_worker(database_url, mqtt_url, shared=shared), \
                SimKit(gateway_id, mqtt_url, tmp_path, kinds=("bp",)) as kit:

            async def scenario() -> tuple[str, list[dict]]:
                started = asyncio.Event()
                listener = asyncio.create_task(_login_and_listen(base, 1, started))
                await asyncio.wait_for(started.wait(), 10)
                at = datetime.now(TZ).replace(tzinfo=None, microsecond=0) - timedelta(minutes=1)
                kit.devices["bp"].take(Sample(at, "bp", {"systolic": 188, "diastolic": 121, "pulse": 96}))
                published_at = time.monotonic()
                assert await kit.gateway.poll_once() == 4
                cookie, pushed = await listener
                assert pushed, "no alert pushed over the websocket"
                assert time.monotonic() - published_at < 10
                return cookie, pushed

            cookie, pushed = asyncio.run(scenario())
            assert kit.publisher.wait_drained(5)
            alert = pushed[0]["alert"]
            assert pushed[0]["type"] == "alert"
            assert alert["patient_id"] == patient and alert["severity"] == "red"
            assert alert["code"] in {"bp_systolic", "bp_diastolic"}

            with psycopg.connect(database_url) as conn:
                rows = conn.execute("SELECT code, value FROM observations WHERE patient_id = %s ORDER BY code",
                                    (patient,)).fetchall()
            assert dict(rows) == {"8462-4": 121, "8478-0": 143, "8480-6": 188, "8867-4": 96}

            api = httpx.get(f"http://{base}/api/alerts", cookies={"nearcare_session": cookie}, timeout=10)
            assert api.status_code == 200
            listed = {(a["code"], a["severity"]) for a in api.json() if a["patient_id"] == patient}
            # One cuff reading, one alert: the diastolic finding is folded into the systolic one.
            assert listed == {("bp_systolic", "red")}
            red = next(a for a in api.json() if a["code"] == "bp_systolic")
            assert "188" in red["explanation"]["text"]["en"] and "Also: Diastolic" in red["explanation"]["text"]["en"]
    finally:
        alerts.stop()
