"""Gateway benchmark: resident memory and CPU per reading with six simulated devices, and outbox drain rate
after two days offline to a real broker, each beside a baseline (an idle Python, a raw paho publish loop)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SIX = ("bp", "weight", "spo2", "glucose", "spirometry", "peak_flow")


def rss_mb() -> float:
    """Resident set size of this process, from /proc/self/status (VmRSS, kB)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class MemoryResult:
    seconds: float
    devices: int
    readings: int
    rss_start_mb: float
    rss_steady_mb: float  # median over the second half of the run
    rss_max_mb: float
    cpu_ms_per_reading: float
    idle_python_rss_mb: float = 0.0


@dataclass
class DrainResult:
    readings: int
    two_day_backlog: int  # what six devices measure in two days (scenario script)
    gateway_readings_per_s: float  # outbox -> broker, delete after PUBACK, no rate bound
    bounded_readings_per_s: float  # the same with the default bound (5 batches/s x 200)
    raw_paho_readings_per_s: float  # the same batch bodies, a bare QoS 1 publish loop, no outbox


@dataclass
class Report:
    machine: dict[str, str]
    memory: MemoryResult | None = None
    drain: DrainResult | None = None
    notes: list[str] = field(default_factory=list)


def machine() -> dict[str, str]:
    cpu = "unknown"
    with contextlib.suppress(OSError):
        cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                    if ln.startswith("model name")), platform.machine())
    return {"cpu": cpu, "cpus": str(os.cpu_count()), "python": platform.python_version(),
            "system": f"{platform.system()} {platform.release()} {platform.machine()}"}


def _memory_child(seconds: float, mqtt_url: str, measure_every_s: float) -> dict[str, Any]:
    """Runs in its own process, like the service: six simulated devices, a patient measuring often, the
    outbox and the publisher to the broker. bleak is imported too, as the real gateway carries it."""
    from zoneinfo import ZoneInfo

    from gateway.ble_bleak import BleakTransport
    from gateway.outbox import Outbox
    from gateway.publisher import Publisher
    from gateway.runner import EnrolledDevice, Gateway
    from gateway.service import patient_measures
    from gateway.sim.devices import KINDS, SimulatedDevice
    from gateway.sim.radio import SimulatedRadio

    del BleakTransport  # imported only to be carried in memory, as in the service; the radio is simulated
    tz = ZoneInfo("Europe/Copenhagen")
    devices = [SimulatedDevice(f"C0:4E:30:00:00:{i:02X}", KINDS[k]) for i, k in enumerate(SIX)]
    with tempfile.TemporaryDirectory() as tmp:
        outbox = Outbox(Path(tmp) / "outbox.sqlite")
        gateway_id = f"bench-gw-{os.getpid()}"
        publisher = Publisher(gateway_id, mqtt_url, outbox, software="bench")
        gateway = Gateway(gateway_id, SimulatedRadio(devices, tz), outbox, publisher,
                          [EnrolledDevice(d.address, d.kind.spec) for d in devices], tz, scan_interval_s=0.5,
                          heartbeat_interval_s=10, status_file=Path(tmp) / "status.json")
        queued = 0
        poll = gateway.poll_once

        async def counting_poll() -> int:
            nonlocal queued
            n = await poll()
            queued += n
            return n

        gateway.poll_once = counting_poll  # type: ignore[method-assign]
        samples: list[tuple[float, float]] = []

        async def main() -> None:
            stop = asyncio.Event()
            publisher.start()
            start = time.monotonic()
            tasks = [asyncio.create_task(gateway.run(stop)),
                     asyncio.create_task(patient_measures(devices, tz, measure_every_s, stop))]
            while time.monotonic() - start < seconds:
                samples.append((time.monotonic() - start, rss_mb()))
                await asyncio.sleep(1.0)
            stop.set()
            await asyncio.gather(*tasks)

        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        rss_start = rss_mb()
        asyncio.run(main())
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        publisher.wait_drained(10)
        publisher.stop()
        outbox.close()
    cpu_s = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    second_half = [r for t, r in samples if t >= seconds / 2] or [r for _, r in samples]
    return {"seconds": seconds, "devices": len(devices), "readings": queued, "rss_start_mb": rss_start,
            "rss_steady_mb": statistics.median(second_half), "rss_max_mb": max(r for _, r in samples),
            "cpu_ms_per_reading": 1000 * cpu_s / max(1, queued)}


def _run_child(code: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure_memory(mqtt_url: str, seconds: float = 120.0, measure_every_s: float = 2.0) -> MemoryResult:
    code = ("import json; from gateway.bench import _memory_child; "
            f"print(json.dumps(_memory_child({seconds!r}, {mqtt_url!r}, {measure_every_s!r})))")
    result = MemoryResult(**_run_child(code))
    idle = _run_child("import json; from pathlib import Path; print(json.dumps({'rss': [int(l.split()[1]) / 1024 "
                      "for l in Path('/proc/self/status').read_text().splitlines() if l.startswith('VmRSS:')][0]}))")
    result.idle_python_rss_mb = float(idle["rss"])
    return result


def _backlog(n: int) -> list[tuple[str, str]]:
    from device_profiles.wire import DeviceRef, WireObservation, observation_id

    now = datetime.now(UTC)
    out = []
    for i in range(n):
        obs = WireObservation(
            id=observation_id("C0:4E:30:00:00:00", "2a35", i.to_bytes(4, "little"), "bp_systolic"),
            code="8480-6", value=100 + i % 80, unit="mm[Hg]",
            measured_at=now - timedelta(days=2) + timedelta(seconds=i * 172800 // n), received_at=now,
            device=DeviceRef(id="C0:4E:30:00:00:00", profile="and_ua651ble"))
        out.append((str(obs.id), obs.model_dump_json()))
    return out


def two_day_backlog() -> int:
    """How many observations six devices give in two days, as the scenario scripts measure."""
    from zoneinfo import ZoneInfo

    from gateway.session import to_observations
    from gateway.sim.devices import KINDS, SimulatedDevice
    from gateway.sim.scenarios import Patient, history

    tz = ZoneInfo("Europe/Copenhagen")
    n = 0
    for sample in history(Patient(seed=1, scenario="stable", kinds=SIX), datetime(2025, 3, 10, 12), 2):
        kind = KINDS[sample.kind]
        payload = SimulatedDevice("C0:00:00:00:00:00", kind).take(sample)
        if payload is None:  # a device with a flat battery; a fresh one never is
            continue
        reading = kind.spec.decode(kind.characteristic, payload)
        n += len(to_observations(reading, payload, "x", kind.profile_id, datetime.now(UTC), None, tz))
    return n


def _drain(mqtt_url: str, items: list[tuple[str, str]], batches_per_s: float) -> float:
    from gateway.outbox import Outbox
    from gateway.publisher import Publisher

    with tempfile.TemporaryDirectory() as tmp:
        outbox = Outbox(Path(tmp) / "outbox.sqlite")
        outbox.put(items)
        publisher = Publisher(f"bench-drain-{os.getpid()}", mqtt_url, outbox, max_batches_per_s=batches_per_s)
        start = time.monotonic()
        publisher.start()
        if not publisher.wait_drained(600):
            raise RuntimeError("outbox did not drain within 10 minutes")
        elapsed = time.monotonic() - start
        publisher.stop()
        outbox.close()
    return len(items) / elapsed


def _raw_paho(mqtt_url: str, items: list[tuple[str, str]], batch: int = 200, inflight: int = 10) -> float:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    parts = urlsplit(mqtt_url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-raw-{os.getpid()}")
    if parts.username:
        client.username_pw_set(parts.username, parts.password)
    client.max_inflight_messages_set(inflight)
    client.connect(parts.hostname or "127.0.0.1", parts.port or 1883)
    client.loop_start()
    start = time.monotonic()
    infos = []
    for i in range(0, len(items), batch):
        body = ('{"v":1,"gateway_id":"bench-raw","sent_at":' + json.dumps(datetime.now(UTC).isoformat())
                + ',"observations":[' + ",".join(p for _, p in items[i:i + batch]) + "]}")
        infos.append(client.publish("nearcare/v1/gw/bench-raw/obs", body.encode(), qos=1))
    for info in infos:
        info.wait_for_publish(60)
    elapsed = time.monotonic() - start
    client.loop_stop()
    client.disconnect()
    return len(items) / elapsed


def measure_drain(mqtt_url: str, readings: int = 50_000) -> DrainResult:
    items = _backlog(readings)
    bounded_items = items[: min(readings, 10_000)]
    return DrainResult(readings=readings, two_day_backlog=two_day_backlog(),
                       gateway_readings_per_s=_drain(mqtt_url, items, 10_000.0),
                       bounded_readings_per_s=_drain(mqtt_url, bounded_items, 5.0),
                       raw_paho_readings_per_s=_raw_paho(mqtt_url, items))


def run(mqtt_url: str, *, seconds: float = 120.0, readings: int = 50_000, memory: bool = True,
        drain: bool = True) -> Report:
    report = Report(machine())
    if memory:
        report.memory = measure_memory(mqtt_url, seconds)
    if drain:
        report.drain = measure_drain(mqtt_url, readings)
    return report


def as_dict(report: Report) -> dict[str, Any]:
    return asdict(report)
