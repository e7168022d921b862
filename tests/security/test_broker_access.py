"""Gateway identity on a real Mosquitto run with the generated password file and ACL.

With MQTT 3.1.1 a publish the ACL denies is still acknowledged and then dropped [MQTT-3.3.5-2 lets the
server drop it]; so "refused" is shown by a subscriber with the ingest account that never receives it.
"""

from __future__ import annotations

import queue
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg
import pytest

from device_profiles.wire import topic
from gateway.provision import Provisioned, provision, set_account
from gateway.sim.scenarios import Sample
from tests.security.mosquitto_server import PrivateMosquitto, close, connect, require_mosquitto
from tests.support.platform import TZ, SimKit, ingest_worker, make_patient

INGEST_PASSWORD = "ingest-" + uuid.uuid4().hex


@dataclass
class Setup:
    broker: PrivateMosquitto
    a: Provisioned
    b: Provisioned


@pytest.fixture
def provisioned(tmp_path: Path) -> Iterator[Setup]:
    require_mosquitto()
    conf, kits = tmp_path / "mosquitto", tmp_path / "kits"
    set_account(conf / "passwd", "ingest", INGEST_PASSWORD)
    a = provision(conf, kits, "mqtt://127.0.0.1:1", gateway_id="kit-a0000001")
    b = provision(conf, kits, "mqtt://127.0.0.1:1", gateway_id="kit-b0000002", passwd_tool=None)  # Python writer
    broker = PrivateMosquitto(tmp_path / "broker", passwd=conf / "passwd", acl=conf / "acl")
    broker.start()
    try:
        yield Setup(broker, a, b)
    finally:
        broker.stop()


def _subscriber(broker: PrivateMosquitto, *filters: str) -> tuple[mqtt.Client, queue.Queue[tuple[str, bytes]]]:
    got: queue.Queue[tuple[str, bytes]] = queue.Queue()
    client, reason = connect(broker, "ingest", INGEST_PASSWORD)
    assert reason == "Success"
    client.on_message = lambda c, u, m: got.put((m.topic, bytes(m.payload)))
    done: queue.Queue[object] = queue.Queue()
    client.on_subscribe = lambda c, u, mid, codes, p: done.put(codes)
    client.subscribe([(f, 1) for f in filters])
    codes = done.get(timeout=5)
    assert all(not getattr(rc, "is_failure", False) for rc in codes)  # type: ignore[attr-defined]
    return client, got


def _publish(client: mqtt.Client, name: str, payload: bytes) -> None:
    info = client.publish(name, payload, qos=1)
    info.wait_for_publish(5)
    assert info.is_published()  # PUBACK came: the broker accepted the packet, whatever it then did


def test_wrong_credentials_are_refused(provisioned: Setup) -> None:
    broker, a = provisioned.broker, provisioned.a.credentials
    for user, password in [(a.username, "wrong"), (a.username, provisioned.b.credentials.password),
                           ("kit-unknown", a.password), (None, None)]:
        client, reason = connect(broker, user, password)
        close(client)
        assert reason in ("Not authorized", "Bad user name or password"), (user, reason)
    client, reason = connect(broker, a.username, a.password)
    close(client)
    assert reason == "Success"


def test_a_gateway_cannot_publish_under_another_gateways_id(provisioned: Setup) -> None:
    broker, a, b = provisioned.broker, provisioned.a.credentials, provisioned.b.credentials
    sub, got = _subscriber(broker, "nearcare/v1/gw/+/obs", "nearcare/v1/gw/+/events", "nearcare/v1/gw/+/status")
    gw_a, reason = connect(broker, a.username, a.password)
    assert reason == "Success"
    try:
        for kind in ("obs", "events", "status"):
            _publish(gw_a, topic(b.gateway_id, kind), b"forged " + kind.encode())  # type: ignore[arg-type]
        _publish(gw_a, topic(a.gateway_id, "obs"), b"own")
        first = got.get(timeout=5)
        assert first == (topic(a.gateway_id, "obs"), b"own")
        time.sleep(0.5)  # anything forged was sent earlier and would have arrived before this
        assert got.empty(), got.get_nowait()
    finally:
        close(gw_a)
        close(sub)


def test_a_gateway_reads_only_its_own_commands(provisioned: Setup) -> None:
    broker, a, b = provisioned.broker, provisioned.a.credentials, provisioned.b.credentials
    gw_a, _ = connect(broker, a.username, a.password)
    got: queue.Queue[str] = queue.Queue()
    gw_a.on_message = lambda c, u, m: got.put(m.topic)
    gw_a.subscribe([(topic(a.gateway_id, "cmd"), 1), (topic(b.gateway_id, "cmd"), 1),
                    ("nearcare/v1/gw/+/obs", 1), ("#", 1)])
    time.sleep(0.3)
    server, _ = connect(broker, "ingest", INGEST_PASSWORD)
    gw_b, _ = connect(broker, b.username, b.password)
    try:
        _publish(server, topic(b.gateway_id, "cmd"), b"for b")
        _publish(gw_b, topic(b.gateway_id, "obs"), b"b's readings")
        _publish(server, topic(a.gateway_id, "cmd"), b"for a")
        assert got.get(timeout=5) == topic(a.gateway_id, "cmd")
        time.sleep(0.5)
        assert got.empty()
    finally:
        for c in (gw_a, gw_b, server):
            close(c)


def test_the_ingest_worker_stores_a_provisioned_kits_readings(provisioned: Setup, database_url: str,
                                                            tmp_path: Path) -> None:
    """The whole path through the access-controlled broker: MQTT 5 shared subscription included."""
    broker = provisioned.broker
    _, gateway_id, _ = make_patient(database_url)
    conf, kits = tmp_path / "mosquitto", tmp_path / "kits"
    kit = provision(conf, kits, broker.url(), gateway_id=gateway_id, database_url=database_url)
    broker.reload()
    with ingest_worker(database_url, broker.url("ingest", INGEST_PASSWORD)), \
            SimKit(gateway_id, kit.credentials.mqtt_url, tmp_path) as sim:
        now = datetime.now(TZ).replace(tzinfo=None, microsecond=0)
        bp = {"systolic": 128, "diastolic": 82, "pulse": 70}
        sim.devices["bp"].take(Sample(now - timedelta(minutes=5), "bp", bp))
        assert sim.poll() > 0
        assert sim.publisher.wait_drained(15)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with psycopg.connect(database_url) as conn:
                n = conn.execute("SELECT count(*) FROM observations WHERE gateway_id = %s",
                                 (gateway_id,)).fetchone()
            if n and n[0] > 0:
                break
            time.sleep(0.1)
        assert n and n[0] > 0
