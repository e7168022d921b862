"""Helpers for the resilience tests: readings to publish, a QoS 1 publisher, counting what was stored."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion

from device_profiles.wire import DeviceRef, ObservationBatch, WireObservation, topic


def batches(gateway_id: str, n_messages: int, per_message: int) -> list[bytes]:
    """``n_messages`` observation batches of ``per_message`` distinct, valid readings each."""
    now = datetime.now(UTC).replace(microsecond=0)
    device = DeviceRef(id="C0:00:00:00:00:01", profile="and_ua651ble")
    out = []
    for i in range(n_messages):
        observations = tuple(
            WireObservation(id=uuid.uuid4(), code="8867-4", value=60 + (i + j) % 40, unit="/min",
                            measured_at=now - timedelta(seconds=i * per_message + j), received_at=now,
                            device=device)
            for j in range(per_message))
        out.append(ObservationBatch(gateway_id=gateway_id, sent_at=now, observations=observations)
                   .model_dump_json().encode())
    return out


@contextmanager
def publisher(mqtt_url: str) -> Iterator[mqtt.Client]:
    host, port = mqtt_url.removeprefix("mqtt://").split(":")
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"test-pub-{uuid.uuid4().hex[:8]}")
    client.connect(host, int(port))
    client.loop_start()
    try:
        yield client
    finally:
        client.disconnect()
        client.loop_stop()


def publish_all(client: mqtt.Client, gateway_id: str, payloads: list[bytes], pause_s: float = 0) -> None:
    infos = []
    for p in payloads:
        infos.append(client.publish(topic(gateway_id, "obs"), p, qos=1))
        if pause_s:
            time.sleep(pause_s)
    for info in infos:
        info.wait_for_publish(30)
        assert info.is_published()


def counts(database_url: str) -> tuple[int, int]:
    """(rows, distinct ids) in observations."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*), count(DISTINCT id) FROM observations").fetchone()
    assert row
    return int(row[0]), int(row[1])


def wait_rows(database_url: str, n: int, timeout: float = 30) -> tuple[int, int]:
    deadline = time.monotonic() + timeout
    while True:
        got = counts(database_url)
        if got[0] >= n or time.monotonic() > deadline:
            return got
        time.sleep(0.1)
