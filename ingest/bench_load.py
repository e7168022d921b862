"""Load for `nearcare bench ingest`: bench readings, simulated gateways that publish them, a private broker,
and the naive consumer the pipeline is compared with."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import select
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion

from device_profiles.wire import TOPIC_ROOT, topic

_NAMESPACE = uuid.UUID("0b3c6a5e-51d4-4c52-9a0e-62656e636821")
_STAMP = b"__PUBLISHED_AT__"
_BASE = datetime(2026, 1, 1, tzinfo=UTC)
CODE, UNIT, PROFILE = "8867-4", "/min", "bench_pulse"

# The ingest workers notify this channel at each commit with the rows inserted ({"n": …}); see ingest.store.
COMMIT_CHANNEL = "nearcare_observations"
_CHECK_EVERY = 50  # messages between looks at what is committed and at the broker's acknowledgements

COLUMNS = ("id", "patient_id", "code", "value", "unit", "measured_at", "received_at", "gateway_id", "device_id",
           "device_profile", "user_index", "source", "flags")


@dataclass(frozen=True)
class Plan:
    """Readings ``first`` … ``first + count - 1`` of run ``tag``, ``per_message`` to a message, round robin
    over ``gateways``; ``phase`` goes into the device id so each phase's rows can be told apart."""

    tag: str
    phase: str
    gateways: tuple[str, ...]
    first: int
    count: int
    per_message: int

    def reading(self, k: int) -> tuple[uuid.UUID, float, datetime]:
        return (uuid.uuid5(_NAMESPACE, f"{self.tag}|{self.phase}|{k}"), float(55 + k % 50),
                _BASE + timedelta(seconds=k))

    def messages(self) -> Iterator[tuple[str, bytes]]:
        """(topic, payload with a placeholder for the publish time) per message."""
        device = f"bench-{self.phase}"
        end = self.first + self.count
        for i, start in enumerate(range(self.first, end, self.per_message)):
            gateway = self.gateways[i % len(self.gateways)]
            observations = []
            for k in range(start, min(start + self.per_message, end)):
                obs_id, value, measured = self.reading(k)
                observations.append(
                    f'{{"id":"{obs_id}","code":"{CODE}","value":{value},"unit":"{UNIT}",'
                    f'"measured_at":"{measured.isoformat()}","received_at":"__PUBLISHED_AT__",'
                    f'"device":{{"id":"{device}","profile":"{PROFILE}"}}}}')
            payload = (f'{{"v":1,"gateway_id":"{gateway}","sent_at":"__PUBLISHED_AT__","observations":['
                       + ",".join(observations) + "]}")
            yield topic(gateway, "obs"), payload.encode()

    def rows(self, patients: dict[str, int], received_at: datetime) -> Iterator[tuple[object, ...]]:
        """The same readings as table rows, for the raw COPY baseline."""
        end = self.first + self.count
        device = f"bench-{self.phase}"
        for i, start in enumerate(range(self.first, end, self.per_message)):
            gateway = self.gateways[i % len(self.gateways)]
            for k in range(start, min(start + self.per_message, end)):
                obs_id, value, measured = self.reading(k)
                yield (obs_id, patients[gateway], CODE, value, UNIT, measured, received_at, gateway, device,
                       PROFILE, None, "automatic", [])


def _host_port(mqtt_url: str) -> tuple[str, int]:
    parts = urlsplit(mqtt_url)
    return parts.hostname or "127.0.0.1", parts.port or 1883


class _Committed:
    """Readings committed since the publisher started: the ingest workers' commit notifications (each carries
    the rows it inserted; nothing to scan), or a count query for consumers that do not notify."""

    def __init__(self, conn: psycopg.Connection, count_sql: str | None) -> None:
        self._conn = conn
        self._sql = count_sql
        if count_sql is None:
            conn.execute(f"LISTEN {COMMIT_CHANNEL}")
            self._seen = 0
        else:
            self._baseline = self._count()

    def _count(self) -> int:
        row = self._conn.execute(self._sql or "SELECT 0").fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    def readings(self) -> int:
        if self._sql is not None:
            return self._count() - self._baseline
        for note in self._conn.notifies(timeout=0):
            self._seen += int(json.loads(note.payload).get("n", 0))
        return self._seen


class _Gateways:
    """One MQTT client per simulated gateway, all driven from the publishing thread through paho's external
    loop calls: no network thread per client (twenty of them fought over one interpreter lock and woke each
    other for every message), so that the publisher's own cost stays small beside what it measures."""

    def __init__(self, mqtt_url: str, plan: Plan) -> None:
        host, port = _host_port(mqtt_url)
        self.clients: dict[str, mqtt.Client] = {}
        for gateway in plan.gateways:
            client = mqtt.Client(CallbackAPIVersion.VERSION2,
                                 client_id=f"bench-{plan.tag}-{plan.phase}-{gateway}")
            client.max_inflight_messages_set(1000)
            client.connect(host, port, keepalive=60)
            self.clients[gateway] = client
        deadline = time.monotonic() + 10
        while not all(c.is_connected() for c in self.clients.values()):
            if time.monotonic() > deadline:
                raise TimeoutError("the bench gateways did not connect")
            self.pump(0.05)

    def pump(self, timeout: float = 0.0) -> None:
        """Read what the broker sent (CONNACK, PUBACK), write what is pending, keep the connections alive."""
        by_socket: dict[Any, mqtt.Client] = {
            sock: c for c in self.clients.values() if (sock := c.socket()) is not None}
        writable = [s for s, c in by_socket.items() if c.want_write()]
        readable, ready, _ = select.select(list(by_socket), writable, [], timeout)
        for sock in readable:
            by_socket[sock].loop_read()
        for sock in ready:
            by_socket[sock].loop_write()
        for client in by_socket.values():
            client.loop_misc()

    def close(self) -> None:
        for client in self.clients.values():
            client.disconnect()


def _publish(mqtt_url: str, plan: Plan, rate: float | None, database_url: str, count_sql: str | None,
             max_outstanding: int) -> None:
    """Child process: QoS 1 from one client per gateway; paced at ``rate`` readings/s or as fast as the
    consumer keeps up (never more than ``max_outstanding`` messages ahead of what is committed, so that a
    broker's per-client queue limit never drops readings). Payloads are built before the clock starts; only
    the publish time is stamped into each."""
    payloads = [(name, name.split("/")[3], template) for name, template in plan.messages()]
    gateways = _Gateways(mqtt_url, plan)
    infos = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        committed = _Committed(conn, count_sql)
        started = time.monotonic()
        for sent, (name, gateway, template) in enumerate(payloads):
            if rate is not None:
                due = started + sent * plan.per_message / rate
                while (wait := due - time.monotonic()) > 0:
                    gateways.pump(wait)
            elif sent % _CHECK_EVERY == 0:
                while sent - committed.readings() // plan.per_message > max_outstanding:
                    gateways.pump(0.002)
            if sent % _CHECK_EVERY == 0:
                gateways.pump()
            stamp = datetime.now(UTC).isoformat().encode()
            infos.append(gateways.clients[gateway].publish(name, template.replace(_STAMP, stamp), qos=1))
    deadline = time.monotonic() + 120
    while not all(info.is_published() for info in infos) and time.monotonic() < deadline:
        gateways.pump(0.01)
    gateways.close()


def start_publisher(mqtt_url: str, plan: Plan, rate: float | None, database_url: str, count_sql: str | None,
                    max_outstanding: int = 1000) -> BaseProcess:
    # A process of its own, so that publishing does not share an interpreter lock with what it measures.
    ctx = multiprocessing.get_context("fork")
    proc = ctx.Process(target=_publish, args=(mqtt_url, plan, rate, database_url, count_sql, max_outstanding),
                       daemon=True)
    proc.start()
    return proc


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def private_mosquitto() -> Iterator[str]:
    """A Mosquitto on a free port that never drops queued QoS 1 messages (the default keeps 1,000 a client)."""
    binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    port = _free_port()
    with tempfile.TemporaryDirectory(prefix="nearcare-bench-mqtt-") as tmp:
        conf = Path(tmp) / "mosquitto.conf"
        conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
                        "max_queued_messages 0\nmax_inflight_messages 0\nset_tcp_nodelay true\n")
        proc = subprocess.Popen([binary, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while True:
                with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the private mosquitto did not start")
                time.sleep(0.05)
            yield f"mqtt://127.0.0.1:{port}"
        finally:
            proc.terminate()
            proc.wait(10)


class NaiveConsumer:
    """What the pipeline is measured against: for every message, look up the patient of the kit, then one
    INSERT per reading, each committed on its own; the broker is acknowledged when the callback returns."""

    def __init__(self, database_url: str, mqtt_url: str, table: str) -> None:
        self.conn = psycopg.connect(database_url, autocommit=True)
        self.table = table
        host, port = _host_port(mqtt_url)
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-naive-{uuid.uuid4().hex[:8]}")
        self.client.on_message = self._on_message
        self.client.connect(host, port)
        self.client.subscribe(f"{TOPIC_ROOT}/+/obs", qos=1)
        self.client.loop_start()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        batch = json.loads(msg.payload)
        row = self.conn.execute("SELECT patient_id FROM kit_assignments WHERE gateway_id = %s AND valid_to IS NULL",
                                (batch["gateway_id"],)).fetchone()
        if row is None:
            return
        for o in batch["observations"]:
            self.conn.execute(
                f"INSERT INTO {self.table} (id, patient_id, code, value, unit, measured_at, received_at, gateway_id,"
                " device_id, device_profile, ingested_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
                " clock_timestamp()) ON CONFLICT (id) DO NOTHING",
                (o["id"], row[0], o["code"], o["value"], o["unit"], o["measured_at"], o["received_at"],
                 batch["gateway_id"], o["device"]["id"], o["device"]["profile"]))

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        self.conn.close()
