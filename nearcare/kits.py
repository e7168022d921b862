"""Simulated home kits for the demo: each patient's devices, gateway, outbox and publisher in one loop."""

from __future__ import annotations

import asyncio
import random
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import structlog

from gateway.outbox import Outbox
from gateway.publisher import Publisher
from gateway.runner import EnrolledDevice, Gateway
from gateway.sim.devices import KINDS, SimulatedDevice
from gateway.sim.radio import SimulatedRadio
from gateway.sim.scenarios import Sample, day_samples, history
from nearcare import __version__
from nearcare.cohort import DemoPatient

log = structlog.get_logger(__name__)


@dataclass
class Kit:
    patient: DemoPatient
    devices: dict[str, SimulatedDevice]  # by kind
    gateway: Gateway
    publisher: Publisher

    def measure(self, sample: Sample) -> None:
        device = self.devices.get(sample.kind)
        if device is not None:
            device.take(sample)


def build_kit(p: DemoPatient, mqtt_url: str, data_dir: Path, tz: ZoneInfo) -> Kit:
    rng = random.Random(p.index)
    devices: dict[str, SimulatedDevice] = {}
    for n, kind in enumerate(p.sim.kinds):
        address = f"C0:4E:30:{p.index:02X}:{n:02X}:{rng.randrange(256):02X}"
        devices[kind] = SimulatedDevice(address, KINDS[kind], clock_drift=timedelta(seconds=rng.randint(-300, 300)))
    outbox = Outbox(data_dir / "gateways" / f"{p.gateway_id}.sqlite")
    publisher = Publisher(p.gateway_id, mqtt_url, outbox, software=f"nearcare-gateway {__version__}")
    enrolled = [EnrolledDevice(d.address, d.kind.spec) for d in devices.values()]
    radio = SimulatedRadio(list(devices.values()), tz)
    gateway = Gateway(p.gateway_id, radio, outbox, publisher, enrolled, tz, scan_interval_s=1.0,
                      heartbeat_interval_s=30.0)
    return Kit(p, devices, gateway, publisher)


class KitFleet:
    """Runs every kit's gateway and the patients' daily measuring in one background event loop."""

    def __init__(self, patients: list[DemoPatient], mqtt_url: str, data_dir: Path, tz: ZoneInfo, *,
                 history_days: int, live_interval_s: float) -> None:
        self.tz = tz
        self.kits = [build_kit(p, mqtt_url, data_dir, tz) for p in patients]
        self.history_days = history_days
        self.live_interval_s = live_interval_s
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="kits", daemon=True)

    def load_history(self) -> int:
        """First start: the devices hold the last weeks of readings, as after a long time offline."""
        now = datetime.now(self.tz).replace(tzinfo=None)
        n = 0
        for kit in self.kits:
            for sample in history(kit.patient.sim, now, self.history_days):
                kit.measure(sample)
                n += 1
        return n

    def start(self) -> None:
        for kit in self.kits:
            kit.publisher.start()
        self._thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        tasks = [asyncio.create_task(k.gateway.run(self._stop)) for k in self.kits]
        tasks.append(asyncio.create_task(self._patients_measure(self._stop)))
        await asyncio.gather(*tasks)

    async def _patients_measure(self, stop: asyncio.Event) -> None:
        """Now and then a patient measures; early on, one has a hypertensive crisis the nurse sees live."""
        rng = random.Random()
        crisis = [k for k in self.kits if k.patient.sim.scenario == "hypertensive_crisis"]
        started = self._loop.time()
        crisis_done = False
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), timeout=self.live_interval_s)
                return
            except TimeoutError:
                pass
            now = datetime.now(self.tz).replace(tzinfo=None)
            if crisis and not crisis_done and self._loop.time() - started > 30:
                kit, days_to_event, crisis_done = crisis[0], 0, True
            else:
                kit, days_to_event = rng.choice(self.kits), 99
            samples = day_samples(kit.patient.sim, now, days_to_event) or day_samples(
                kit.patient.sim, now - timedelta(days=1), days_to_event)
            kinds = {s.kind for s in samples}
            if crisis_done and kit is crisis[0]:
                kinds = {"bp"}
            for s in samples:
                if s.kind in kinds:
                    kinds.discard(s.kind)
                    kit.measure(Sample(now, s.kind, s.values))
                    log.info("patient_measured", patient=kit.patient.name, kind=s.kind, values=s.values)

    def stop(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=10)
        for kit in self.kits:
            kit.publisher.stop()
            kit.publisher.outbox.close()
