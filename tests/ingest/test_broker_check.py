"""Shared subscriptions only where the broker keeps them: the version check, and the broker's real behaviour.

Mosquitto before 2.0.12 forgets a durable client's ``$share`` subscription across a restart (ingest/broker.py).
The tests below run the installed Mosquitto and check that what the worker predicts from the version string is
what the broker really does, so the prediction stays true whichever Mosquitto the machine has.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from pydantic import ValidationError

from device_profiles.wire import ObservationBatch, topic
from ingest.broker import BrokerVersion, use_shared
from ingest.consumer import IngestConfig, IngestWorker
from nearcare.settings import Settings
from tests.reliability.chain import readings
from tests.security.mosquitto_server import PrivateMosquitto, require_mosquitto
from tests.support.platform import EMBEDDED_BROKER, make_patient


@pytest.mark.parametrize(("text", "mosquitto", "keeps"), [
    ("mosquitto version 2.0.11", (2, 0, 11), False),
    ("mosquitto version 2.0.12", (2, 0, 12), True),
    ("mosquitto version 2.0.20", (2, 0, 20), True),
    ("mosquitto version 1.6.9", (1, 6, 9), False),
    ("Mosquitto version 2.1.0", (2, 1, 0), True),
    ("emqx 5.8.0", None, True),  # not Mosquitto: nothing known against it
    ("", None, True),
])
def test_the_version_string_says_whether_shared_sessions_survive(text: str, mosquitto: tuple[int, int, int] | None,
                                                                 keeps: bool) -> None:
    version = BrokerVersion.parse(text.encode())
    assert version.mosquitto == mosquitto
    assert version.keeps_shared_sessions is keeps
    assert use_shared(True, version) is keeps
    assert use_shared(False, version) is False


def test_no_answer_means_the_configured_subscription() -> None:
    assert use_shared(True, None) is True
    assert use_shared(False, None) is False


def _durable(port: int, client_id: str, got: list[str], subscribe: str | None) -> mqtt.Client:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.on_message = lambda c, u, m: got.append(m.payload.decode())
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.SessionExpiryInterval = 0xFFFF_FFFF
    client.connect("127.0.0.1", port, clean_start=False, properties=props)
    client.loop_start()
    if subscribe:
        _, mid = client.subscribe(subscribe, qos=1)
        deadline = time.monotonic() + 5
        subscribed: list[int] = []
        client.on_subscribe = lambda c, u, m, r, p: subscribed.append(m)
        while mid not in subscribed and time.monotonic() < deadline:
            time.sleep(0.02)
    return client


def _publish(port: int, payload: str) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:6]}")
    client.connect("127.0.0.1", port)
    client.loop_start()
    client.publish("t/x", payload, qos=1).wait_for_publish(5)
    client.disconnect()
    client.loop_stop()


def _kept_across_restart(broker: PrivateMosquitto, subscription: str) -> bool:
    """Does a durable subscriber get a message published after a broker restart, before it subscribes again?"""
    got: list[str] = []
    client_id = f"durable-{uuid.uuid4().hex[:6]}"
    client = _durable(broker.port, client_id, got, subscription)
    client.disconnect()
    client.loop_stop()
    broker.stop()  # SIGTERM: sessions saved
    broker.start()
    _publish(broker.port, "after restart")
    client = _durable(broker.port, client_id, got, None)  # resumes the session, does not subscribe again
    deadline = time.monotonic() + 3
    while not got and time.monotonic() < deadline:
        time.sleep(0.05)
    client.disconnect()
    client.loop_stop()
    return got == ["after restart"]


@pytest.mark.skipif(EMBEDDED_BROKER, reason="the embedded broker has no shared subscriptions")
def test_the_prediction_matches_what_the_installed_mosquitto_does(database_url: str, tmp_path: Path) -> None:
    require_mosquitto()
    broker = PrivateMosquitto(tmp_path / "broker")
    broker.start()
    try:
        worker = IngestWorker(IngestConfig(database_url, broker.url(), client_id="probe", share_group="probe"))
        worker.start()
        try:
            assert worker.wait_subscribed(10)
        finally:
            worker.stop(forget_session=True)
        assert worker.broker_version is not None and worker.broker_version.mosquitto is not None
        predicted = worker.broker_version.keeps_shared_sessions
        assert worker.shared is predicted
        # A plain durable subscription is kept by every version; a shared one exactly as predicted.
        assert _kept_across_restart(broker, "t/+") is True
        assert _kept_across_restart(broker, "$share/g/t/+") is predicted, worker.broker_version.text
    finally:
        broker.stop()


def _send(mqtt_url: str, gateway_id: str, messages: int, per_message: int) -> int:
    host, port = mqtt_url.removeprefix("mqtt://").rsplit(":", 1)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=gateway_id)
    client.connect(host, int(port))
    client.loop_start()
    sent = 0
    for _ in range(messages):
        batch = ObservationBatch(gateway_id=gateway_id, sent_at=datetime.now(UTC),
                                 observations=tuple(readings(per_message, received_at=datetime.now(UTC))))
        client.publish(topic(gateway_id, "obs"), batch.model_dump_json(), qos=1).wait_for_publish(5)
        sent += per_message
    client.disconnect()
    client.loop_stop()
    return sent


@pytest.mark.skipif(EMBEDDED_BROKER, reason="the embedded broker has no shared subscriptions")
def test_two_workers_forced_to_share_split_the_load_and_store_each_reading_once(database_url: str,
                                                                                 mqtt_url: str) -> None:
    _, gateway_id, _ = make_patient(database_url)
    group = f"split-{uuid.uuid4().hex[:6]}"
    workers = [IngestWorker(IngestConfig(database_url, mqtt_url, client_id=f"{group}-{i}", share_group=group,
                                         check_broker=False, batch_wait_s=0.01)) for i in range(2)]
    for w in workers:
        w.start()
    try:
        assert all(w.wait_subscribed(10) for w in workers)
        assert [w.shared for w in workers] == [True, True]
        sent = _send(mqtt_url, gateway_id, 40, 5)
        deadline = time.monotonic() + 20
        while sum(w.stats["inserted"] for w in workers) < sent and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        for w in workers:
            w.stop(forget_session=True)
    # Both took part, and no reading went to both (the broker is shared with other tests' kits, which are
    # unknown to this database and quarantined, so count this kit's rows only).
    assert [w.stats["inserted"] > 0 for w in workers] == [True, True]
    assert sum(w.stats["inserted"] for w in workers) == sent
    assert sum(w.stats["duplicates"] for w in workers) == 0
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*), count(DISTINCT id) FROM observations").fetchone() == (sent, sent)


@pytest.mark.parametrize(("env", "embedded", "expected"), [
    (None, False, (True, True)),  # default: share, after asking the broker
    ("auto", False, (True, True)),
    ("true", False, (True, True)),  # the old boolean spelling
    ("always", False, (True, False)),
    ("off", False, (False, False)),
    ("false", False, (False, False)),
    ("auto", True, (False, True)),  # the embedded broker has no shared subscriptions
])
def test_the_setting_decides_sharing_and_the_check(monkeypatch: pytest.MonkeyPatch, env: str | None,
                                                   embedded: bool, expected: tuple[bool, bool]) -> None:
    if env is None:
        monkeypatch.delenv("NEARCARE_MQTT_SHARED_SUBSCRIPTION", raising=False)
    else:
        monkeypatch.setenv("NEARCARE_MQTT_SHARED_SUBSCRIPTION", env)
    assert Settings(_env_file=None).ingest_subscription(embedded) == expected  # type: ignore[call-arg]


def test_a_misspelt_setting_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEARCARE_MQTT_SHARED_SUBSCRIPTION", "sometimes")
    with pytest.raises(ValidationError, match="auto"):
        Settings(_env_file=None)  # type: ignore[call-arg]
