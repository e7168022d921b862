"""Bad input is quarantined with its reason and never stops the worker; good input beside it is stored."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.publish as publish
import psycopg
import pytest

from device_profiles.wire import DeviceRef, ObservationBatch, WireObservation, topic
from ingest.pipeline import Message, process
from tests.support.platform import ingest_worker, make_patient

NOW = datetime.now(UTC).replace(microsecond=0)


def obs(code: str = "8480-6", value: float = 130, unit: str = "mm[Hg]", minutes_ago: int = 10) -> WireObservation:
    return WireObservation(id=uuid.uuid4(), code=code, value=value, unit=unit,
                           measured_at=NOW - timedelta(minutes=minutes_ago), received_at=NOW,
                           device=DeviceRef(id="C0:00:00:00:00:01", profile="and_ua651ble"))


def batch(gateway_id: str, *observations: WireObservation) -> bytes:
    return ObservationBatch(gateway_id=gateway_id, sent_at=NOW, observations=observations).model_dump_json().encode()


def quarantined(database_url: str) -> list[str]:
    with psycopg.connect(database_url) as conn:
        return [r[0] for r in conn.execute("SELECT reason FROM quarantine ORDER BY id")]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "not JSON"),
        (b'{"v": 1, "gateway_id": "GW", "sent_at": "yesterday", "observations": []}', "not an observation batch"),
        (json.dumps({"v": 1, "gateway_id": "GW", "sent_at": NOW.isoformat(),
                     "observations": [{"id": "x", "code": 5}]}).encode(), "not an observation batch"),
        (b"\xff\xfe\x00", "not JSON"),
    ],
)
def test_malformed_messages_are_quarantined_with_their_reason(database_url: str, payload: bytes,
                                                              reason: str) -> None:
    _, gateway_id, _ = make_patient(database_url)
    payload = payload.replace(b"GW", gateway_id.encode())
    with psycopg.connect(database_url) as conn:
        result = process(conn, [Message(topic(gateway_id, "obs"), payload)])
        conn.commit()
        stored = conn.execute("SELECT payload FROM quarantine").fetchone()[0]
    assert result.quarantined == 1 and result.inserted == 0
    assert quarantined(database_url)[0].startswith(reason)
    assert bytes(stored) == payload  # the raw payload is kept for replay


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (obs(value=900), "bp_systolic 900 mm[Hg] is outside the possible range"),
        (obs(unit="kPa"), "unit 'kPa' is not 'mm[Hg]'"),
        (obs(code="1234-5"), "unknown code '1234-5'"),
        (obs(minutes_ago=-120), "is in the future"),
    ],
)
def test_bad_observations_are_quarantined_and_their_neighbours_stored(database_url: str, bad: WireObservation,
                                                                      reason: str) -> None:
    _, gateway_id, _ = make_patient(database_url)
    with psycopg.connect(database_url) as conn:
        result = process(conn, [Message(topic(gateway_id, "obs"), batch(gateway_id, obs(), bad))])
        conn.commit()
    assert (result.inserted, result.quarantined) == (1, 1)
    assert reason in quarantined(database_url)[0]


def test_spoofed_unknown_and_unassigned_gateways(database_url: str) -> None:
    _, gateway_id, _ = make_patient(database_url)
    with psycopg.connect(database_url) as conn:
        conn.execute("INSERT INTO gateways (id) VALUES ('kit-spare')")
        conn.commit()
        result = process(conn, [
            Message(topic("kit-other", "obs"), batch(gateway_id, obs())),  # payload claims another id
            Message(topic("kit-nobody", "obs"), batch("kit-nobody", obs())),
            Message(topic("kit-spare", "obs"), batch("kit-spare", obs())),  # known, but assigned to no one
        ])
        conn.commit()
    assert (result.inserted, result.quarantined) == (0, 3)
    reasons = quarantined(database_url)
    assert "differs from topic gateway 'kit-other'" in reasons[0]
    assert reasons[1] == "unknown gateway 'kit-nobody'"
    assert reasons[2].startswith("kit kit-spare was not assigned to a patient at")


def test_the_same_reading_twice_is_stored_once(database_url: str) -> None:
    _, gateway_id, _ = make_patient(database_url)
    o = obs()
    with psycopg.connect(database_url) as conn:
        first = process(conn, [Message(topic(gateway_id, "obs"), batch(gateway_id, o, o))])
        conn.commit()
        second = process(conn, [Message(topic(gateway_id, "obs"), batch(gateway_id, o))])
        conn.commit()
        (n,) = conn.execute("SELECT count(*) FROM observations").fetchone()
    assert (first.inserted, first.duplicates, second.inserted, second.duplicates, n) == (1, 1, 0, 1, 1)


def test_worker_keeps_going_after_garbage(database_url: str, mqtt_url: str, tmp_path: Path) -> None:
    _, gateway_id, _ = make_patient(database_url)
    host, port = mqtt_url.removeprefix("mqtt://").split(":")
    with ingest_worker(database_url, mqtt_url) as worker:
        for payload in (b"garbage", b"{}", batch(gateway_id, obs(value=-3)), batch(gateway_id, obs())):
            publish.single(topic(gateway_id, "obs"), payload, qos=1, hostname=host, port=int(port))
        deadline = time.monotonic() + 10
        while worker.stats["inserted"] < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert worker.stats["inserted"] == 1
        assert worker.stats["quarantined"] == 3
