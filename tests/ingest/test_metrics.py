"""The ingest worker's Prometheus metrics count what it really stored and quarantined."""

from __future__ import annotations

import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

from prometheus_client import REGISTRY

from gateway.sim.scenarios import Sample
from nearcare.metrics_server import serve_metrics
from tests.support.platform import TZ, SimKit, ingest_worker, make_patient


def _value(outcome: str) -> float:
    return REGISTRY.get_sample_value("nearcare_ingest_readings_total", {"outcome": outcome}) or 0.0


def test_metrics_follow_what_ingest_stored(database_url: str, mqtt_url: str, tmp_path: Path) -> None:
    _, gateway_id, _ = make_patient(database_url)
    before = _value("inserted")
    at = datetime.now(TZ).replace(tzinfo=None, microsecond=0) - timedelta(minutes=3)
    with ingest_worker(database_url, mqtt_url) as worker, SimKit(gateway_id, mqtt_url, tmp_path) as kit:
        kit.devices["weight"].take(Sample(at, "weight", {"weight": 77.2}))
        assert kit.poll() == 1
        deadline = time.monotonic() + 10
        while worker.stats["inserted"] < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert _value("inserted") - before == 1
    last = REGISTRY.get_sample_value("nearcare_ingest_last_commit_timestamp_seconds")
    assert last is not None and abs(last - datetime.now(UTC).timestamp()) < 30
    server, _ = serve_metrics(0, addr="127.0.0.1")
    try:
        body = urllib.request.urlopen(f"http://127.0.0.1:{server.server_port}/metrics", timeout=5).read().decode()
    finally:
        server.shutdown()
    assert 'nearcare_ingest_readings_total{outcome="inserted"}' in body
