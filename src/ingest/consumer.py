"""The ingest worker: MQTT QoS 1 with a persistent session; a message is acknowledged only after commit.

Back-pressure: while the database is down the worker keeps its batch and stops acknowledging, so the broker
holds everything else (its in-flight window fills and it stops sending).
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
import psycopg
import structlog

from device_profiles.wire import TOPIC_ROOT
from ingest.pipeline import Message, process
from ingest.store import WriteResult, quarantine

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class IngestConfig:
    database_url: str
    mqtt_url: str
    client_id: str = "nearcare-ingest-1"
    shared_subscription: bool = True
    share_group: str = "ingest"
    batch_size: int = 500
    batch_wait_s: float = 0.05


def mqtt_client(mqtt_url: str, client_id: str, *, clean: bool) -> tuple[mqtt.Client, str, int]:
    parts = urlsplit(mqtt_url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean,
                         protocol=mqtt.MQTTv311)
    if parts.username:
        client.username_pw_set(parts.username, parts.password)
    if parts.scheme == "mqtts":
        client.tls_set()
    client.reconnect_delay_set(min_delay=1, max_delay=30)
    return client, parts.hostname or "127.0.0.1", parts.port or (8883 if parts.scheme == "mqtts" else 1883)


class IngestWorker:
    def __init__(self, config: IngestConfig) -> None:
        self.config = config
        self._inbox: queue.Queue[mqtt.MQTTMessage] = queue.Queue(maxsize=10_000)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.stats = {"inserted": 0, "duplicates": 0, "quarantined": 0, "batches": 0}
        client, self._host, self._port = mqtt_client(config.mqtt_url, config.client_id, clean=False)
        client.manual_ack_set(True)
        client.on_connect = self._on_connect
        client.on_message = self._on_message
        self.client = client
        self._subscribed = threading.Event()

    def _topics(self) -> list[str]:
        prefix = f"$share/{self.config.share_group}/" if self.config.shared_subscription else ""
        return [f"{prefix}{TOPIC_ROOT}/+/obs", f"{prefix}{TOPIC_ROOT}/+/status"]

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: object, reason: object,
                    properties: object) -> None:
        log.info("ingest_connected", reason=str(reason))
        client.subscribe([(t, 1) for t in self._topics()])
        self._subscribed.set()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        # Blocks paho's network thread when full: the broker then keeps the rest (back-pressure).
        self._inbox.put(msg)

    def start(self) -> None:
        self.client.connect(self._host, self._port, keepalive=30)
        self.client.loop_start()
        self._thread = threading.Thread(target=self._run, name=self.config.client_id, daemon=True)
        self._thread.start()

    def wait_subscribed(self, timeout: float = 10) -> bool:
        return self._subscribed.wait(timeout)

    def stop(self, *, forget_session: bool = False) -> None:
        """Stop consuming; the broker keeps the session (and queues for it) unless ``forget_session``."""
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)
        self.client.disconnect()
        self.client.loop_stop()
        if forget_session:
            client, host, port = mqtt_client(self.config.mqtt_url, self.config.client_id, clean=True)
            client.connect(host, port)
            client.loop_start()
            client.disconnect()
            client.loop_stop()

    def _collect(self) -> list[mqtt.MQTTMessage]:
        try:
            first = self._inbox.get(timeout=0.2)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.config.batch_wait_s
        while len(batch) < self.config.batch_size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                batch.append(self._inbox.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _quarantine_all(self, conn: psycopg.Connection | None, batch: list[mqtt.MQTTMessage],
                        reason: str) -> WriteResult | None:
        try:
            if conn is None or conn.closed:
                conn = psycopg.connect(self.config.database_url, connect_timeout=5)
            with conn.transaction():
                n = quarantine(conn, [(m.topic, bytes(m.payload), reason[:500]) for m in batch])
            return WriteResult(0, 0, n)
        except psycopg.Error:
            self._stop.wait(1)
            return None

    def _run(self) -> None:
        conn: psycopg.Connection | None = None
        batch: list[mqtt.MQTTMessage] = []
        delay = 0.5
        while not self._stop.is_set():
            if not batch:
                batch = self._collect()
                if not batch:
                    continue
            try:
                if conn is None or conn.closed:
                    conn = psycopg.connect(self.config.database_url, connect_timeout=5)
                with conn.transaction():
                    result = process(conn, [Message(m.topic, bytes(m.payload)) for m in batch])
            except psycopg.Error as exc:
                # Keep the batch, acknowledge nothing, retry: the broker holds the rest meanwhile.
                log.warning("ingest_db_unavailable", error=str(exc).strip()[:200], retry_in_s=delay,
                            held=len(batch))
                if conn is not None:
                    conn.close()
                conn = None
                self._stop.wait(delay)
                delay = min(delay * 2, 10)
                continue
            except Exception as exc:
                # A fault of ours must not lose the messages nor stop the worker: keep them, with why.
                log.exception("ingest_batch_failed", messages=len(batch))
                fallback = self._quarantine_all(conn, batch, f"ingest error: {type(exc).__name__}: {exc}")
                if fallback is None:
                    continue
                result = fallback
            delay = 0.5
            for m in batch:
                self.client.ack(m.mid, m.qos)
            self.stats["inserted"] += result.inserted
            self.stats["duplicates"] += result.duplicates
            self.stats["quarantined"] += result.quarantined
            self.stats["batches"] += 1
            log.debug("ingest_batch", messages=len(batch), inserted=result.inserted,
                     duplicates=result.duplicates, quarantined=result.quarantined)
            batch = []
        if conn is not None:
            conn.close()
