"""The ingest worker: MQTT QoS 1 with a persistent session; a message is acknowledged only after commit.

Back-pressure: while the database is slow or down the worker keeps its batch and acknowledges nothing, so the
broker stops sending once the in-flight window is full and holds the rest in the session's queue.
"""

from __future__ import annotations

import gc
import queue
import threading
import time
from dataclasses import dataclass

import paho.mqtt.client as mqtt
import psycopg
import structlog
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from device_profiles.endpoint import BrokerEndpoint
from device_profiles.wire import TOPIC_ROOT
from ingest import metrics
from ingest.broker import VERSION_TOPIC, VERSION_WAIT_S, BrokerVersion, use_shared
from ingest.pipeline import Message, process
from ingest.settings import IngestSettings
from ingest.store import WriteResult, quarantine

log = structlog.get_logger(__name__)

# MQTT 5 session expiry "never" [MQTT-3.1.2.11]: queued readings of a stopped worker must outlive any downtime.
_SESSION_NEVER_EXPIRES = 0xFFFF_FFFF
_STATS_EVERY_S = 30.0
# Allocations between young-generation collections of the cyclic collector (Python's default is 700). A batch
# holds tens of thousands of young objects (readings, rows, MQTT packets) that live until commit; at 700 the
# collector walked them over and over, which cost more than validating them (docs/benchmarks.md, "Ingest").
_GC_YOUNG_THRESHOLD = 50_000


def _collect_garbage_less_often() -> None:
    """Raise the collector's young-generation threshold for the whole process (never lowers it)."""
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, _GC_YOUNG_THRESHOLD), middle, old)


@dataclass(frozen=True)
class IngestConfig:
    database_url: str
    mqtt_url: str
    client_id: str = "nearcare-ingest-1"
    shared_subscription: bool = True
    # Ask the broker its version first and subscribe plainly on one that loses shared sessions (ingest/broker.py).
    check_broker: bool = True
    # None: from the settings (NEARCARE_INGEST_SHARE_GROUP, _BATCH_SIZE, _BATCH_WAIT_MS).
    share_group: str | None = None
    batch_size: int | None = None
    batch_wait_s: float | None = None
    # MQTT 5 Receive Maximum: unacknowledged messages the broker may send at once (MQTT 3.1.1 leaves it to the
    # broker: Mosquitto's max_inflight_messages, 20 by default). None: twice the batch size.
    receive_window: int | None = None
    # None: MQTT 5 exactly when shared subscriptions are on; the embedded broker (amqtt) has neither.
    mqtt5: bool | None = None


def mqtt_client(mqtt_url: str, client_id: str, *, clean: bool, mqtt5: bool = False
                ) -> tuple[mqtt.Client, str, int]:
    broker = BrokerEndpoint.parse(mqtt_url)
    if mqtt5:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
    else:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=clean,
                             protocol=mqtt.MQTTv311)
    if broker.username:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls:
        client.tls_set(ca_certs=broker.cafile)  # the broker's certificate is always checked
    # paho reconnects by itself, doubling the wait from 0.5 s up to 30 s while the broker is away.
    client.reconnect_delay_set(min_delay=1, max_delay=30)
    return client, broker.host, broker.port


def _is_connection_error(exc: psycopg.Error) -> bool:
    """A lost or refused connection (retry the batch) rather than something in the data (isolate it)."""
    return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError) or exc.sqlstate is None or \
        exc.sqlstate.startswith(("08", "57P", "53"))


class IngestWorker:
    def __init__(self, config: IngestConfig, settings: IngestSettings | None = None) -> None:
        settings = settings or IngestSettings()
        self.config = config
        self.share_group = config.share_group or settings.share_group
        self.batch_size = config.batch_size or settings.batch_size
        self.batch_wait_s = config.batch_wait_s if config.batch_wait_s is not None else settings.batch_wait_ms / 1000
        self.receive_window = min(config.receive_window or 2 * self.batch_size, 65_535)
        self.mqtt5 = config.shared_subscription if config.mqtt5 is None else config.mqtt5
        # Messages tagged with the connection they came on: a packet id means nothing on a later connection.
        self._inbox: queue.Queue[tuple[int, mqtt.MQTTMessage]] = queue.Queue()
        self._generation = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.stats = {"inserted": 0, "duplicates": 0, "quarantined": 0, "batches": 0, "messages": 0,
                      "redelivered": 0, "db_retries": 0, "reconnects": 0, "stale_acks_skipped": 0}
        self._subscribed = threading.Event()
        self._subscribe_lock = threading.Lock()
        self._decided: int | None = None  # the connection whose subscription is settled
        self._data_mid: int | None = None
        self.broker_version: BrokerVersion | None = None
        self.shared: bool | None = None  # how this worker subscribed last; None until it has
        self.client = self._new_client()

    def _new_client(self) -> mqtt.Client:
        client, self._host, self._port = mqtt_client(self.config.mqtt_url, self.config.client_id, clean=False,
                                                     mqtt5=self.mqtt5)
        client.manual_ack_set(True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_subscribe = self._on_subscribe
        client.on_message = self._on_message
        return client

    def _topics(self, shared: bool | None = None) -> list[str]:
        shared = self.config.shared_subscription if shared is None else shared
        prefix = f"$share/{self.share_group}/" if shared else ""
        return [f"{prefix}{TOPIC_ROOT}/+/obs", f"{prefix}{TOPIC_ROOT}/+/status"]

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: mqtt.ConnectFlags,
                    reason: object, properties: object) -> None:
        self._generation += 1
        if self._generation > 1:
            self.stats["reconnects"] += 1
        log.info("ingest_connected", reason=str(reason), session_present=flags.session_present,
                 mqtt5=self.mqtt5, window=self.receive_window if self.mqtt5 else None)
        generation = self._generation
        if self.config.shared_subscription and self.config.check_broker:
            client.subscribe(VERSION_TOPIC, qos=0)  # retained: the answer comes at once
            timer = threading.Timer(VERSION_WAIT_S, self._settle_subscription, (generation, None))
            timer.daemon = True
            timer.start()
        else:
            self._settle_subscription(generation, None)

    def _settle_subscription(self, generation: int, version: BrokerVersion | None) -> None:
        """Subscribe once per connection, shared or plain, and drop the other form a former run may have left."""
        with self._subscribe_lock:
            if generation != self._generation or self._decided == generation:
                return
            self._decided = generation
            if version is not None:
                self.broker_version = version
            shared = use_shared(self.config.shared_subscription, self.broker_version)
            if shared != self.config.shared_subscription and self.shared is not False:
                log.error("ingest_shared_subscription_unsafe", broker=self.broker_version.text
                          if self.broker_version else None, subscribing="plain",
                          why="this broker loses a durable shared subscription's messages across a restart; "
                              "every worker now gets every reading (stored once); upgrade to Mosquitto >= 2.0.12")
            self.shared = shared
            metrics.SHARED_SUBSCRIPTION.set(1 if shared else 0)
            _, self._data_mid = self.client.subscribe([(t, 1) for t in self._topics(shared)])
            stale = self._topics(not shared) if self.config.shared_subscription else []
            if self.config.shared_subscription and self.config.check_broker:
                stale.append(VERSION_TOPIC)
            if stale:
                self.client.unsubscribe(stale)

    def _on_disconnect(self, client: mqtt.Client, userdata: object, flags: object, reason: object,
                       properties: object) -> None:
        # Whatever is unacknowledged comes again on the next connection (the session is kept).
        self._generation += 1
        if not self._stop.is_set():
            log.warning("ingest_disconnected", reason=str(reason), held=self._inbox.qsize())

    def _on_subscribe(self, client: mqtt.Client, userdata: object, mid: int, reasons: object,
                      properties: object) -> None:
        with self._subscribe_lock:
            if mid != self._data_mid:
                return
        log.info("ingest_subscribed", topics=self._topics(self.shared))
        self._subscribed.set()

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        if msg.topic == VERSION_TOPIC:
            self._settle_subscription(self._generation, BrokerVersion.parse(bytes(msg.payload)))
            return
        # Never blocks: the broker's in-flight window bounds what is unacknowledged here.
        self._inbox.put((self._generation, msg))

    def start(self) -> None:
        _collect_garbage_less_often()
        if self.mqtt5:
            props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            props.SessionExpiryInterval = _SESSION_NEVER_EXPIRES
            props.ReceiveMaximum = self.receive_window
            self.client.connect_async(self._host, self._port, keepalive=30, clean_start=False, properties=props)
        else:
            self.client.connect_async(self._host, self._port, keepalive=30)
        self.client.loop_start()
        self._thread = threading.Thread(target=self._run, name=self.config.client_id, daemon=True)
        self._thread.start()

    def wait_subscribed(self, timeout: float = 10) -> bool:
        return self._subscribed.wait(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, *, forget_session: bool = False) -> None:
        """Stop consuming; the broker keeps the session (and queues for it) unless ``forget_session``."""
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)
        self.client.disconnect()
        self.client.loop_stop()
        if forget_session:
            client, host, port = mqtt_client(self.config.mqtt_url, self.config.client_id, clean=True,
                                             mqtt5=self.mqtt5)
            if self.mqtt5:
                client.connect(host, port, clean_start=True)  # session expiry 0: gone on disconnect
            else:
                client.connect(host, port)
            client.loop_start()
            client.disconnect()
            client.loop_stop()

    def _collect(self) -> list[tuple[int, mqtt.MQTTMessage]]:
        try:
            first = self._inbox.get(timeout=0.2)
        except queue.Empty:
            return []
        batch = [first]
        deadline = time.monotonic() + self.batch_wait_s
        while len(batch) < self.batch_size:
            remaining = deadline - time.monotonic()
            try:
                batch.append(self._inbox.get_nowait() if remaining <= 0 else self._inbox.get(timeout=remaining))
            except queue.Empty:
                break
        return batch

    def _connect_db(self, conn: psycopg.Connection | None) -> psycopg.Connection:
        if conn is None or conn.closed:
            conn = psycopg.connect(self.config.database_url, connect_timeout=5)
        return conn

    def _write_one_by_one(self, conn: psycopg.Connection, messages: list[Message]) -> WriteResult:
        """A batch the database refuses for its content: store message by message, quarantine the culprits."""
        totals = [0, 0, 0]
        for m in messages:
            try:
                with conn.transaction():
                    result = process(conn, [m])
            except psycopg.Error as exc:
                if _is_connection_error(exc):
                    raise
                with conn.transaction():
                    quarantined = quarantine(conn, [(m.topic, m.payload, f"ingest error: {exc}".strip()[:500])])
                result = WriteResult(0, 0, quarantined)
            totals = [totals[0] + result.inserted, totals[1] + result.duplicates, totals[2] + result.quarantined]
        return WriteResult(*totals)

    def _store(self, conn: psycopg.Connection, messages: list[Message]) -> WriteResult:
        try:
            with conn.transaction():
                return process(conn, messages)
        except psycopg.Error as exc:
            if _is_connection_error(exc):
                raise
            log.warning("ingest_batch_refused", error=str(exc).strip()[:200], messages=len(messages))
            return self._write_one_by_one(conn, messages)
        except Exception as exc:
            # A fault of ours must not lose the messages nor stop the worker: keep them, with why.
            log.exception("ingest_batch_failed", messages=len(messages))
            reason = f"ingest error: {type(exc).__name__}: {exc}"[:500]
            with conn.transaction():
                return WriteResult(0, 0, quarantine(conn, [(m.topic, m.payload, reason) for m in messages]))

    def _ack(self, batch: list[tuple[int, mqtt.MQTTMessage]]) -> None:
        current = self._generation
        for generation, m in batch:
            if generation == current:
                self.client.ack(m.mid, m.qos)
            else:
                # Its packet id may belong to another message now; the broker sends this one again instead.
                self.stats["stale_acks_skipped"] += 1

    def _run(self) -> None:
        conn: psycopg.Connection | None = None
        batch: list[tuple[int, mqtt.MQTTMessage]] = []
        delay = 0.5
        last_stats = time.monotonic()
        while not self._stop.is_set():
            if time.monotonic() - last_stats > _STATS_EVERY_S:
                log.info("ingest_stats", **self.stats)
                last_stats = time.monotonic()
            if not batch:
                batch = self._collect()
                if not batch:
                    continue
            started = time.monotonic()
            try:
                conn = self._connect_db(conn)
                result = self._store(conn, [Message(m.topic, bytes(m.payload)) for _, m in batch])
            except Exception as exc:
                # Keep the batch, acknowledge nothing, retry: the broker holds the rest meanwhile.
                if isinstance(exc, psycopg.Error):
                    log.warning("ingest_db_unavailable", error=str(exc).strip()[:200], retry_in_s=delay,
                                held=len(batch) + self._inbox.qsize())
                else:
                    log.exception("ingest_retry_after_error", retry_in_s=delay, held=len(batch))
                self.stats["db_retries"] += 1
                metrics.DB_RETRIES.inc()
                if conn is not None:
                    conn.close()
                conn = None
                self._stop.wait(delay)
                delay = min(delay * 2, 10)
                continue
            delay = 0.5
            self._ack(batch)
            self.stats["inserted"] += result.inserted
            self.stats["duplicates"] += result.duplicates
            self.stats["quarantined"] += result.quarantined
            self.stats["batches"] += 1
            self.stats["messages"] += len(batch)
            self.stats["redelivered"] += sum(1 for _, m in batch if m.dup)
            metrics.record_batch(result.inserted, result.duplicates, result.quarantined, len(batch),
                                 time.monotonic() - started, self._inbox.qsize())
            log.debug("ingest_batch", messages=len(batch), inserted=result.inserted,
                      duplicates=result.duplicates, quarantined=result.quarantined)
            batch = []
        if conn is not None:
            conn.close()
