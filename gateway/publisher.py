"""Drains the outbox to the broker: QoS 1 batches, oldest first, at a bounded rate; delete on PUBACK.

The status topic is retained and the last will says offline, so the server knows at once when a kit drops.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime

import paho.mqtt.client as mqtt
import structlog
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from device_profiles.endpoint import BrokerEndpoint
from device_profiles.wire import GatewayStatus, topic
from gateway.outbox import Outbox

log = structlog.get_logger(__name__)


class Publisher:
    def __init__(self, gateway_id: str, mqtt_url: str, outbox: Outbox, *, batch_size: int = 200,
                 max_inflight: int = 10, max_batches_per_s: float = 20.0, software: str = "") -> None:
        self.gateway_id = gateway_id
        self.outbox = outbox
        self.batch_size = batch_size
        self.max_inflight = max_inflight
        self.min_interval = 1.0 / max_batches_per_s
        self.software = software
        self.published = 0
        self.last_upload: datetime | None = None
        broker = BrokerEndpoint.parse(mqtt_url)
        self._host, self._port = broker.host, broker.port
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"gw-{gateway_id}", clean_session=True,
                             protocol=mqtt.MQTTv311)
        if broker.username:
            client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            client.tls_set(ca_certs=broker.cafile)  # the broker's certificate is always checked
        client.will_set(topic(gateway_id, "status"), self._status(online=False), qos=1, retain=True)
        client.reconnect_delay_set(min_delay=1, max_delay=60)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_publish = self._on_publish
        self.client = client
        # Only the drain thread touches these; PUBACKs are read from paho's message info, never in callbacks
        # (paho calls on_publish under its own lock, so taking ours there could deadlock).
        self._inflight: list[tuple[mqtt.MQTTMessageInfo, list[int], float]] = []
        self._sent_upto = 0  # highest outbox seq handed to paho
        self.ack_timeout_s = 30.0
        self._connected = threading.Event()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def _status(self, *, online: bool, devices: dict[str, dict[str, object]] | None = None) -> bytes:
        status = GatewayStatus(gateway_id=self.gateway_id, online=online, at=datetime.now(UTC),
                               software=self.software or None,
                               outbox_depth=self.outbox.depth() if online else None, devices=devices or {})
        return status.model_dump_json().encode()

    def _on_connect(self, client: mqtt.Client, userdata: object, flags: object, reason: ReasonCode,
                    properties: object) -> None:
        if reason.is_failure:
            log.warning("gateway_connect_refused", reason=str(reason))
            return
        client.publish(topic(self.gateway_id, "status"), self._status(online=True), qos=1, retain=True)
        self._connected.set()
        self._wake.set()
        log.info("gateway_connected", gateway=self.gateway_id)

    def _on_disconnect(self, client: mqtt.Client, userdata: object, flags: object, reason: object,
                       properties: object) -> None:
        self._connected.clear()
        log.info("gateway_disconnected", gateway=self.gateway_id, reason=str(reason))

    def _on_publish(self, client: mqtt.Client, userdata: object, mid: int, reason: object,
                    properties: object) -> None:
        self._wake.set()

    def _settle(self) -> None:
        """Delete what the broker has acknowledged; after a silent loss, send the rest again."""
        done = [entry for entry in self._inflight if entry[0].is_published()]
        if done:
            self._inflight = [entry for entry in self._inflight if not entry[0].is_published()]
            seqs = [s for _, batch, _ in done for s in batch]
            self.outbox.delete(seqs)  # only now, after PUBACK
            self.published += len(seqs)
            self.last_upload = datetime.now(UTC)
        now = time.monotonic()
        if any(now - sent > self.ack_timeout_s for _, _, sent in self._inflight):
            # Same observation ids go out again; the database keeps one of each.
            log.warning("gateway_resend_unacknowledged", batches=len(self._inflight))
            self._inflight = []
            self._sent_upto = 0

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def publish_status(self, devices: dict[str, dict[str, object]]) -> None:
        if self._connected.is_set():
            self.client.publish(topic(self.gateway_id, "status"), self._status(online=True, devices=devices),
                                qos=1, retain=True)

    def start(self) -> None:
        self.client.connect_async(self._host, self._port, keepalive=30)
        self.client.loop_start()
        self._thread = threading.Thread(target=self._drain, name=f"drain-{self.gateway_id}", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=5)
        if self._connected.is_set():
            info = self.client.publish(topic(self.gateway_id, "status"), self._status(online=False), qos=1,
                                       retain=True)
            info.wait_for_publish(timeout=2)
        self.client.disconnect()
        self.client.loop_stop()

    def wait_drained(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.outbox.depth() == 0:
                return True
            time.sleep(0.05)
        return False

    def _drain(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(timeout=1.0)
            self._wake.clear()
            self._settle()
            while self._connected.is_set() and not self._stop.is_set():
                self._settle()
                if len(self._inflight) >= self.max_inflight:
                    break
                entries = self.outbox.oldest(self.batch_size, after_seq=self._sent_upto)
                if not entries:
                    break
                body = ('{"v":1,"gateway_id":' + json.dumps(self.gateway_id)
                        + ',"sent_at":' + json.dumps(datetime.now(UTC).isoformat())
                        + ',"observations":[' + ",".join(e.payload for e in entries) + "]}")
                info = self.client.publish(topic(self.gateway_id, "obs"), body.encode(), qos=1)
                if info.rc != mqtt.MQTT_ERR_SUCCESS:
                    break
                self._inflight.append((info, [e.seq for e in entries], time.monotonic()))
                self._sent_upto = entries[-1].seq
                time.sleep(self.min_interval)  # bounded drain rate after a long outage
