"""Nothing lost, nothing doubled: redelivery, a worker killed with SIGKILL mid-stream, a database outage."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from ingest.consumer import IngestConfig, IngestWorker
from tests.ingest.resilience import batches, counts, publish_all, publisher, wait_rows
from tests.ingest.tcp_proxy import TcpProxy
from tests.support.platform import EMBEDDED_BROKER, ingest_worker, make_patient


def test_the_same_message_delivered_twice_is_stored_once(database_url: str, mqtt_url: str) -> None:
    _, gateway_id, _ = make_patient(database_url)
    (payload,) = batches(gateway_id, 1, 5)
    with ingest_worker(database_url, mqtt_url) as worker, publisher(mqtt_url) as pub:
        publish_all(pub, gateway_id, [payload])
        assert wait_rows(database_url, 5) == (5, 5)
        publish_all(pub, gateway_id, [payload])
        deadline = time.monotonic() + 10
        while worker.stats["duplicates"] < 5 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert worker.stats["duplicates"] == 5  # counted, not stored
        assert counts(database_url) == (5, 5)


def _forget_session(mqtt_url: str, client_id: str) -> None:
    host, port = mqtt_url.removeprefix("mqtt://").split(":")
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    client.connect(host, int(port), clean_start=True)
    client.loop_start()
    client.disconnect()
    client.loop_stop()


@contextmanager
def _worker_process(database_url: str, mqtt_url: str, client_id: str, group: str) -> Iterator[subprocess.Popen[str]]:
    env = {**os.environ, "NEARCARE_DATABASE_URL": database_url, "NEARCARE_MQTT_URL": mqtt_url,
           "NEARCARE_MQTT_SHARED_SUBSCRIPTION": "false" if EMBEDDED_BROKER else "true",
           "NEARCARE_INGEST_SHARE_GROUP": group,
           "NEARCARE_INGEST_BATCH_SIZE": "20", "NEARCARE_INGEST_BATCH_WAIT_MS": "20", "NEARCARE_LOG_FORMAT": "json"}
    proc = subprocess.Popen([sys.executable, "-m", "nearcare", "ingest", "run", "--client-id", client_id],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout or ()], daemon=True).start()
    deadline = time.monotonic() + 30
    while True:
        line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        if line.startswith("{") and json.loads(line).get("event") == "ingest_subscribed":
            break
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(15)


@pytest.mark.skipif(EMBEDDED_BROKER, reason="the embedded broker (amqtt) does not keep QoS 1 messages for a killed "
                    "worker's session; this guarantee is Mosquitto's, which scripts/test installs where it can")
def test_a_worker_killed_mid_batch_loses_and_doubles_nothing(database_url: str, mqtt_url: str) -> None:
    _, gateway_id, _ = make_patient(database_url)
    tag = uuid.uuid4().hex[:8]
    client_id, group = f"test-kill-{tag}", f"kill-{tag}"
    payloads = batches(gateway_id, 300, 10)
    total = 300 * 10
    try:
        with publisher(mqtt_url) as pub:
            with _worker_process(database_url, mqtt_url, client_id, group) as proc:
                sender = threading.Thread(target=publish_all, args=(pub, gateway_id, payloads, 0.005))
                sender.start()
                while counts(database_url)[0] < total // 5:  # writing steadily by now
                    assert proc.poll() is None
                    time.sleep(0.01)
                proc.send_signal(signal.SIGKILL)
                proc.wait(10)
                at_kill = counts(database_url)[0]
                sender.join(60)
            assert at_kill < total, "the worker finished before it was killed"
            time.sleep(1)
            assert counts(database_url)[0] == at_kill  # nobody is writing now
            with _worker_process(database_url, mqtt_url, client_id, group):
                assert wait_rows(database_url, total, timeout=60) == (total, total)
                time.sleep(1)  # anything redelivered late must not add rows
                assert counts(database_url) == (total, total)
    finally:
        _forget_session(mqtt_url, client_id)


def test_a_database_outage_loses_and_doubles_nothing(database_url: str, mqtt_url: str) -> None:
    _, gateway_id, _ = make_patient(database_url)
    parts = urlsplit(database_url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    via_proxy = urlunsplit((parts.scheme, f"{parts.username}@127.0.0.1:{proxy.port}", parts.path, "", ""))
    tag = uuid.uuid4().hex[:8]
    worker = IngestWorker(IngestConfig(via_proxy, mqtt_url, client_id=f"test-outage-{tag}",
                                       share_group=f"outage-{tag}", batch_size=50, batch_wait_s=0.02,
                                       shared_subscription=not EMBEDDED_BROKER))
    worker.start()
    try:
        assert worker.wait_subscribed(10)
        before, during, after = batches(gateway_id, 40, 10), batches(gateway_id, 150, 10), batches(gateway_id, 40, 10)
        with publisher(mqtt_url) as pub:
            publish_all(pub, gateway_id, before)
            assert wait_rows(database_url, 400) == (400, 400)
            proxy.cut()
            started = time.monotonic()
            publish_all(pub, gateway_id, during, pause_s=0.04)  # about 6 s of readings while it is down
            time.sleep(max(0.0, 8 - (time.monotonic() - started)))
            assert counts(database_url)[0] == 400  # nothing could be committed
            assert worker.alive
            proxy.restore()
            publish_all(pub, gateway_id, after)
            assert wait_rows(database_url, 2300, timeout=60) == (2300, 2300)
        time.sleep(1)
        assert counts(database_url) == (2300, 2300)
        assert worker.alive
        assert worker.stats["db_retries"] > 0
        assert worker.stats["inserted"] == 2300
    finally:
        worker.stop(forget_session=True)
        proxy.close()
