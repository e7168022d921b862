"""Simulated home kits for the demo: each patient's devices, gateway, outbox and publisher in one loop.

On first start the kits replay the last weeks as they lived them: every reading goes through a real GATT
session minutes after it was taken, stamped with that moment, and the days reach the platform in order.
"""

from __future__ import annotations

import asyncio
import queue
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import structlog

from gateway.download import Committed
from gateway.outbox import Outbox
from gateway.publisher import Publisher
from gateway.runner import Collected, EnrolledDevice, Gateway, keep
from gateway.session import run_session
from gateway.sim.devices import KINDS, SimulatedDevice
from gateway.sim.radio import SimLink, SimulatedRadio
from gateway.sim.scenarios import Sample, day_samples, history
from nearcare import __version__
from nearcare.cohort import DemoPatient

log = structlog.get_logger(__name__)

# How long after a reading the kit uploaded it during the weeks before the demo: the meter advertises after
# the test and the gateway, scanning every few seconds, takes it within a minute or two.
UPLOAD_DELAY_S = (20, 150)


@dataclass
class Kit:
    patient: DemoPatient
    devices: dict[str, SimulatedDevice]  # by kind
    gateway: Gateway
    publisher: Publisher
    tz: ZoneInfo
    # Each meter's newest stored record a replayed session already collected (RACP meters), by address.
    records: dict[str, Committed | None] = field(default_factory=dict)

    def measure(self, sample: Sample) -> None:
        device = self.devices.get(sample.kind)
        if device is not None:
            device.take(sample)

    async def upload_history(self, device: SimulatedDevice, samples: list[tuple[Sample, datetime]]) -> list[Collected]:
        """One device's readings, oldest first: the patient measures at ``sample.at``, and the gateway
        collects the reading at the time paired with it — the same GATT session, decoders and observation
        ids as live, on a simulated link whose clock (and the session's) is that moment."""
        spec = device.kind.spec
        out = []
        for sample, received_at in samples:
            if device.take(sample) is None:
                continue

            def clock(at: datetime = received_at) -> datetime:  # the link's and the session's now
                return at

            result = await run_session(SimLink(device, self.tz, clock), device.address, spec, self.tz, now=clock,
                                       last_record=self.records.get(device.address))
            if result.problems:
                log.warning("demo_history_session_problem", kit=self.patient.gateway_id, problems=result.problems)
            if result.commit_record:
                self.records[device.address] = result.last_record
            out.append(Collected(device.address, result.observations, result.last_record,
                                 result.commit_record))
        return out

    def queue(self, uploads: list[Collected]) -> int:
        """Into the outbox as the gateway does it: readings first, then the meters' committed records."""
        n = keep(self.gateway.outbox, uploads)
        self.publisher.wake()
        return n


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
    return Kit(p, devices, gateway, publisher, tz)


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
        self._uplinks = False

    def connect(self) -> None:
        """Start every kit's uplink (the publishers); the gateways' radio loops start with ``start``."""
        if not self._uplinks:
            for kit in self.kits:
                kit.publisher.start()
            self._uplinks = True

    def replay_history(self, settled: Callable[[date, int], None]) -> tuple[int, int]:
        """First start: the last ``history_days`` as the kits lived them. Every reading is collected by its
        own GATT session a minute or two after it was taken and stamped with that time; the days go to the
        outboxes one at a time, and ``settled(day, total)`` returns once the platform has taken in ``total``
        readings, so the alert core meets the weeks in order, as it would have. The next day's sessions run
        meanwhile. Returns (samples, readings)."""
        plan = self._history_plan()
        sessions: queue.Queue[tuple[date, list[list[Collected]]] | BaseException] = queue.Queue()

        def collect() -> None:
            try:
                for day in sorted(plan):
                    sessions.put((day, self._loop.run_until_complete(self._day_sessions(plan[day]))))
            except BaseException as exc:  # handed to the waiting thread, which raises it
                sessions.put(exc)

        collector = threading.Thread(target=collect, name="kits-history", daemon=True)
        collector.start()
        self.connect()
        samples = readings = 0
        for _ in plan:
            item = sessions.get()
            if isinstance(item, BaseException):
                raise item
            day, uploads = item
            readings += sum(kit.queue(ups) for kit, ups in zip(self.kits, uploads, strict=True))
            samples += sum(len(ss) for by_kind in plan[day] for ss in by_kind.values())
            settled(day, readings)
        collector.join()
        return samples, readings

    def _history_plan(self) -> dict[date, list[dict[str, list[tuple[Sample, datetime]]]]]:
        """Per day, per kit (in fleet order) and device: each sample with the time the gateway collected it."""
        real_now = datetime.now(UTC)
        end = real_now.astimezone(self.tz).replace(tzinfo=None)
        plan: dict[date, list[dict[str, list[tuple[Sample, datetime]]]]] = {}
        for i, kit in enumerate(self.kits):
            rng = random.Random(f"{kit.patient.index}-upload")
            for s in history(kit.patient.sim, end, self.history_days):
                if s.kind not in kit.devices:
                    continue
                delay = timedelta(seconds=rng.randint(*UPLOAD_DELAY_S))
                at = min(s.at.replace(tzinfo=self.tz).astimezone(UTC) + delay, real_now)
                day = plan.setdefault(s.at.date(), [{} for _ in self.kits])
                day[i].setdefault(s.kind, []).append((s, at))
        return plan

    async def _day_sessions(self, day: list[dict[str, list[tuple[Sample, datetime]]]]) -> list[list[Collected]]:
        """One day's sessions, per kit; the devices of a kit collect side by side, each in its own order."""
        async def one_kit(kit: Kit, by_kind: dict[str, list[tuple[Sample, datetime]]]) -> list[Collected]:
            done = await asyncio.gather(*(kit.upload_history(kit.devices[k], ss) for k, ss in by_kind.items()))
            return [u for ups in done for u in ups]

        return list(await asyncio.gather(*(one_kit(k, d) for k, d in zip(self.kits, day, strict=True))))

    def start(self) -> None:
        self.connect()
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
        """Now and then a patient measures; early on (the second round: half a minute at the default
        interval), one has a hypertensive crisis the nurse sees live."""
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
            if crisis and not crisis_done and self._loop.time() - started >= 2 * self.live_interval_s - 0.5:
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
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        for kit in self.kits:
            kit.publisher.stop()
            kit.publisher.outbox.close()
