"""Store-and-forward under stress: a gateway killed with SIGKILL mid-drain loses and duplicates nothing, and
after two days offline the outbox drains oldest first at a bounded rate."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion

from device_profiles.wire import DeviceRef, WireObservation, observation_id, topic
from gateway.config import GatewayConfig, save_config
from gateway.health import outbox_depth
from gateway.outbox import Outbox
from gateway.publisher import Publisher
from gateway.runner import EnrolledDevice, Gateway
from gateway.sim.devices import KINDS, SimulatedDevice
from gateway.sim.radio import SimulatedRadio
from gateway.sim.scenarios import Patient, history
from tests.support.platform import TZ, ingest_worker, make_patient

READINGS = 6000


def _backlog(n: int) -> list[tuple[str, str]]:
    """``n`` systolic readings from one cuff over the last two days, as the outbox holds them."""
    now = datetime.now(UTC)
    out = []
    for i in range(n):
        at = now - timedelta(days=2) + timedelta(seconds=i * 172800 // n)
        payload = i.to_bytes(4, "little")
        obs = WireObservation(id=observation_id("C0:00:00:00:00:01", "2a35", payload, "bp_systolic"),
                              code="8480-6", value=100 + i % 80, unit="mm[Hg]", measured_at=at, received_at=now,
                              device=DeviceRef(id="C0:00:00:00:00:01", profile="and_ua651ble"))
        out.append((str(obs.id), obs.model_dump_json()))
    return out


def _count(database_url: str) -> tuple[int, int]:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*), count(DISTINCT id) FROM observations").fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def _start(config: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "NEARCARE_LOG_FORMAT": "json"}
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "nearcare.cli_gateway", "run", "--simulate", "--config",
                                 str(config)], stdout=out, stderr=subprocess.STDOUT, env=env)


def test_kill_9_mid_drain_then_restart_stores_every_reading_once(database_url: str, mqtt_url: str,
                                                                 tmp_path: Path) -> None:
    _, gateway_id, _ = make_patient(database_url)
    kit = GatewayConfig(gateway_id=gateway_id, mqtt_url=mqtt_url, credentials_file=None, data_dir=tmp_path / "data",
                        heartbeat_s=1.0, drain_batches_per_s=4.0, status_port=0)
    config = tmp_path / "gateway.toml"
    save_config(config, kit)
    items = _backlog(READINGS)
    box = Outbox(kit.outbox_path)
    assert box.put(items) == READINGS
    box.close()
    log = tmp_path / "gateway.log"
    with ingest_worker(database_url, mqtt_url):
        first = _start(config, log)
        try:
            deadline = time.monotonic() + 60
            while (outbox_depth(kit.outbox_path) or READINGS) > READINGS * 0.6:
                assert first.poll() is None, log.read_text()
                assert time.monotonic() < deadline, "the gateway never started draining"
                time.sleep(0.05)
        finally:
            first.send_signal(signal.SIGKILL)  # a power cut, as far as the process is concerned
            first.wait(10)
        left = outbox_depth(kit.outbox_path)
        assert left is not None and 0 < left < READINGS, left  # killed half-way through the drain

        second = _start(config, log)
        try:
            deadline = time.monotonic() + 90
            while outbox_depth(kit.outbox_path) or _count(database_url)[0] < READINGS:
                assert second.poll() is None, log.read_text()
                assert time.monotonic() < deadline, (outbox_depth(kit.outbox_path), _count(database_url))
                time.sleep(0.2)
        finally:
            second.send_signal(signal.SIGTERM)
            assert second.wait(20) == 0, log.read_text()[-2000:]
    assert _count(database_url) == (READINGS, READINGS)
    with psycopg.connect(database_url) as conn:
        stored = {str(r[0]) for r in conn.execute("SELECT id FROM observations")}
    assert stored == {i for i, _ in items}


def test_two_days_offline_drain_oldest_first_at_a_bounded_rate(mqtt_url: str, tmp_path: Path) -> None:
    kinds = ("bp", "weight", "spo2", "glucose", "spirometry", "peak_flow")
    devices = [SimulatedDevice(f"C0:00:00:00:01:{i:02X}", KINDS[k]) for i, k in enumerate(kinds)]
    patient = Patient(seed=3, scenario="stable", kinds=kinds)
    for sample in history(patient, datetime.now(TZ).replace(tzinfo=None), 2):
        next(d for d in devices if d.kind.kind == sample.kind).take(sample)
    gateway_id = f"kit-drain-{os.getpid()}"
    outbox = Outbox(tmp_path / "outbox.sqlite")
    publisher = Publisher(gateway_id, mqtt_url, outbox, batch_size=2, max_batches_per_s=10.0)
    gateway = Gateway(gateway_id, SimulatedRadio(devices, TZ), outbox, publisher,
                      [EnrolledDevice(d.address, d.kind.spec) for d in devices], TZ)
    queued = asyncio.run(gateway.poll_once())  # the broker is out of reach: everything waits in the outbox
    assert queued >= 30 and outbox.depth() == queued
    order = [e.obs_id for e in outbox.oldest(10_000)]

    received: list[tuple[float, list[str]]] = []
    subscribed = threading.Event()
    listener = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"listen-{gateway_id}")
    listener.on_subscribe = lambda *a: subscribed.set()

    def on_message(client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        import json

        received.append((time.monotonic(), [o["id"] for o in json.loads(msg.payload)["observations"]]))

    listener.on_message = on_message
    listener.on_connect = lambda c, *a: c.subscribe(topic(gateway_id, "obs"), qos=1)
    host, port = mqtt_url.rsplit("//", 1)[1].split(":")
    listener.connect(host, int(port))
    listener.loop_start()
    try:
        assert subscribed.wait(10)
        started = time.monotonic()
        publisher.start()  # back online
        assert publisher.wait_drained(30)
        elapsed = time.monotonic() - started
        deadline = time.monotonic() + 5
        while sum(len(ids) for _, ids in received) < queued and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        publisher.stop()
        listener.loop_stop()
        listener.disconnect()
        outbox.close()
    sent = [i for _, ids in received for i in ids]
    assert sent == order  # oldest first, each once
    batches = len(received)
    assert batches == -(-queued // 2)
    # At most 10 batches a second: the drain takes at least (batches - 1) / 10 s.
    assert elapsed >= (batches - 1) / 10 * 0.9, (elapsed, batches)
    gaps = [b - a for (a, _), (b, _) in itertools.pairwise(received)]
    assert min(gaps) > 0.05 and sorted(gaps)[len(gaps) // 2] >= 0.09
