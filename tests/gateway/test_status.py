"""What a nurse installing the kit reads: `nearcare gateway status` and the local page, in plain words."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from typer.testing import CliRunner

from device_profiles.wire import topic
from gateway.config import Enrolled, GatewayConfig, config_text, load_config, save_config
from gateway.health import ago, plain_status, write_status
from gateway.outbox import Outbox
from gateway.publisher import Publisher
from gateway.runner import EnrolledDevice, Gateway
from gateway.service import status_lines
from gateway.sim.devices import KINDS, SimulatedDevice
from gateway.sim.radio import SimulatedRadio
from gateway.sim.scenarios import Sample
from gateway.status_page import serve_status
from nearcare.cli_gateway import gateway_app
from tests.support.platform import TZ

NOW = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
CUFF, SCALE = "C0:4E:30:00:00:01", "C0:4E:30:00:00:02"
DEVICES = [(CUFF, "blood_pressure_monitor", ""), (SCALE, "weight_scale", "Scale in the bathroom")]


def _status(**over: object) -> dict[str, object]:
    status: dict[str, object] = {
        "at": (NOW - timedelta(seconds=20)).isoformat(), "heartbeat_s": 60, "connected": True, "running": True,
        "last_upload": (NOW - timedelta(minutes=2)).isoformat(),
        "devices": {CUFF: {"last_seen": (NOW - timedelta(minutes=5)).isoformat(), "battery": 80, "failures": 0}},
    }
    status.update(over)
    return status


def test_all_well() -> None:
    assert plain_status(_status(), DEVICES, 0, NOW) == [
        "Box online, last upload 2 min ago",
        "Blood pressure monitor seen 5 min ago, battery 80 %",
        "Scale in the bathroom not seen yet (take a measurement to wake it)",
        "0 readings waiting",
    ]


def test_in_danish() -> None:
    assert plain_status(_status(), DEVICES[:1], 1, NOW, lang="da") == [
        "Boksen er online, sidste upload for 2 min siden",
        "Blodtryksmåler set for 5 min siden, batteri 80 %",
        "1 måling venter",
    ]


def test_trouble_in_plain_words() -> None:
    devices = {CUFF: {"last_seen": (NOW - timedelta(days=3)).isoformat(), "battery": 12, "failures": 4}}
    lines = plain_status(_status(connected=False, devices=devices), DEVICES[:1], 2880, NOW)
    assert lines == [
        "Box has no connection to the server (readings are kept and sent later)",
        "Blood pressure monitor seen 3 days ago, battery low (12 %), change batteries, cannot connect, 4 tries",
        "2880 readings waiting",
    ]
    stale = _status(at=(NOW - timedelta(hours=3)).isoformat())
    assert plain_status(stale, [], None, NOW)[0] == "Box is not running (last sign of life 3 h ago)"
    assert plain_status(None, [], None, NOW) == ["Box has not started yet",
                                                  "No devices enrolled: pair them with `nearcare gateway pair`"]


@pytest.mark.parametrize(("seconds", "text"), [(5, "just now"), (130, "2 min ago"), (7300, "2 h ago"),
                                               (3 * 86400, "3 days ago")])
def test_ago(seconds: int, text: str) -> None:
    assert ago(NOW - timedelta(seconds=seconds), NOW) == text


def _kit(tmp_path: Path) -> tuple[Path, GatewayConfig]:
    kit = GatewayConfig(gateway_id="kit-status", mqtt_url="mqtt://127.0.0.1:1", credentials_file=None,
                        data_dir=tmp_path / "data",
                        devices=[Enrolled(address=CUFF.lower(), profile="and_ua651ble"),
                                 Enrolled(address=SCALE, profile="and_uc352ble", label="Scale in the bathroom")])
    path = tmp_path / "gateway.toml"
    save_config(path, kit)
    return path, kit


def test_config_round_trip(tmp_path: Path) -> None:
    path, kit = _kit(tmp_path)
    assert load_config(path) == kit
    assert 'address = "C0:4E:30:00:00:01"' in config_text(kit)


def test_status_command(tmp_path: Path) -> None:
    path, kit = _kit(tmp_path)
    runner = CliRunner()
    result = runner.invoke(gateway_app, ["status", "--config", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "Box has not started yet"

    box = Outbox(kit.outbox_path)
    box.put([("a", "{}"), ("b", "{}"), ("c", "{}")])
    now = datetime.now(UTC)
    write_status(kit.status_path, {
        "at": now.isoformat(), "heartbeat_s": 60, "connected": True, "running": True,
        "last_upload": (now - timedelta(seconds=150)).isoformat(),
        "devices": {CUFF: {"last_seen": (now - timedelta(seconds=310)).isoformat(), "battery": 80}}})
    result = runner.invoke(gateway_app, ["status", "--config", str(path)])
    box.close()
    assert result.output.splitlines() == [
        "Box online, last upload 2 min ago",
        "Blood pressure monitor seen 5 min ago, battery 80 %",
        "Scale in the bathroom not seen yet (take a measurement to wake it)",
        "3 readings waiting",
    ]
    body = json.loads(runner.invoke(gateway_app, ["status", "--config", str(path), "--json"]).output)
    assert body["outbox_depth"] == 3 and body["status"]["connected"] is True


def test_status_page(tmp_path: Path) -> None:
    _, kit = _kit(tmp_path)
    server = serve_status("127.0.0.1", 0, lambda: status_lines(kit))
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        page = urllib.request.urlopen(url + "/", timeout=5).read().decode()
        assert "<li>Box has not started yet</li>" in page
        lines = json.loads(urllib.request.urlopen(url + "/status.json", timeout=5).read())["lines"]
        assert lines[1] == "Blood pressure monitor not seen yet (take a measurement to wake it)"
    finally:
        server.shutdown()


def test_pair_rejects_a_bad_address_and_profile(tmp_path: Path) -> None:
    runner = CliRunner()
    path = tmp_path / "gateway.toml"
    bad = runner.invoke(gateway_app, ["pair", "C0:4E:30:00:00", "--profile", "and_ua651ble", "--no-connect",
                                      "--config", str(path)])
    assert bad.exit_code == 2 and "not a Bluetooth address" in bad.output
    unknown = runner.invoke(gateway_app, ["pair", CUFF, "--profile", "toaster", "--no-connect", "--config", str(path)])
    assert unknown.exit_code == 2 and "no such profile" in unknown.output
    ok = runner.invoke(gateway_app, ["pair", CUFF, "--profile", "and_ua651ble", "--no-connect", "--config", str(path),
                                     "--gateway-id", "kit-x", "--mqtt-url", "mqtt://127.0.0.1:1883"])
    assert ok.exit_code == 0, ok.output
    assert [d.address for d in load_config(path).devices] == [CUFF]


def test_heartbeat_carries_device_health_outbox_depth_and_version(mqtt_url: str, tmp_path: Path) -> None:
    gateway_id = f"kit-beat-{tmp_path.name[-8:]}"
    cuff = SimulatedDevice(CUFF, KINDS["bp"], clock_drift=timedelta(seconds=30), battery=64)
    cuff.take(Sample(datetime.now(TZ).replace(tzinfo=None, microsecond=0), "bp",
                     {"systolic": 130, "diastolic": 80, "pulse": 70}))
    outbox = Outbox(tmp_path / "outbox.sqlite")
    publisher = Publisher(gateway_id, mqtt_url, outbox, software="nearcare-gateway 9.9")
    gateway = Gateway(gateway_id, SimulatedRadio([cuff], TZ), outbox, publisher,
                      [EnrolledDevice(CUFF, cuff.kind.spec)], TZ, status_file=tmp_path / "status.json")
    asyncio.run(gateway.poll_once())  # before connecting: the readings wait in the outbox
    publisher.client.connect(mqtt_url.rsplit("//", 1)[1].split(":")[0], int(mqtt_url.rsplit(":", 1)[1]))
    publisher.client.loop_start()
    got: list[dict[str, object]] = []
    arrived = threading.Event()
    listener = mqtt.Client(CallbackAPIVersion.VERSION2)
    try:
        deadline = datetime.now(UTC) + timedelta(seconds=10)
        while not publisher.connected and datetime.now(UTC) < deadline:
            time.sleep(0.05)
        gateway.heartbeat()

        def on_message(client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
            body = json.loads(msg.payload)
            if body.get("devices"):
                got.append(body)
                arrived.set()

        listener.on_message = on_message
        listener.on_connect = lambda c, *a: c.subscribe(topic(gateway_id, "status"), qos=1)
        listener.connect(mqtt_url.rsplit("//", 1)[1].split(":")[0], int(mqtt_url.rsplit(":", 1)[1]))
        listener.loop_start()
        assert arrived.wait(10)  # retained: a late subscriber gets it
    finally:
        listener.loop_stop()
        publisher.client.publish(topic(gateway_id, "status"), b"", retain=True).wait_for_publish(5)
        publisher.client.loop_stop()
        publisher.client.disconnect()
        outbox.close()
    status = got[-1]
    assert status["software"] == "nearcare-gateway 9.9" and status["outbox_depth"] == 4 and status["online"]
    device = status["devices"][CUFF]  # type: ignore[index]
    assert device["profile"] == "and_ua651ble" and device["battery"] == 64 and device["rssi"] == -60
    assert device["clock_offset_s"] == 30 and device["last_seen"]
    local = json.loads((tmp_path / "status.json").read_text())
    assert local["connected"] is True and local["outbox_depth"] == 4 and local["devices"][CUFF]["battery"] == 64


def test_heartbeat_refreshes_the_prometheus_gauges() -> None:
    from datetime import UTC, datetime

    from prometheus_client import REGISTRY

    from gateway import metrics

    seen = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    metrics.update(7, 0, seen, True, {"C0:00:00:00:00:01": {"last_seen": seen.isoformat(), "battery": 80}})
    assert REGISTRY.get_sample_value("nearcare_gateway_outbox_depth") == 7
    assert REGISTRY.get_sample_value("nearcare_gateway_device_battery_percent",
                                     {"device": "C0:00:00:00:00:01"}) == 80
    assert REGISTRY.get_sample_value("nearcare_gateway_connected") == 1
