"""The gateway loop: scan for the kit's enrolled devices, talk to each that wakes up, queue, publish."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import structlog

from device_profiles.wire import WireObservation
from gateway import metrics
from gateway.download import Committed, sequence_key
from gateway.health import write_status
from gateway.outbox import Outbox
from gateway.publisher import Publisher
from gateway.session import DeviceSpec, run_session
from gateway.transport import LinkLost, Transport

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class EnrolledDevice:
    address: str
    spec: DeviceSpec


@dataclass(frozen=True)
class Collected:
    """What one device session left to keep: its readings, and the meter's newest record to commit after them."""

    address: str
    observations: Sequence[WireObservation]
    last_record: Committed | None = None
    commit_record: bool = False


def keep(outbox: Outbox, collected: Sequence[Collected]) -> int:
    """Into the outbox: every reading first, then each meter's newest record. A crash between the two means the
    meter is asked again from its old record, never that a record is skipped. Returns readings new to it."""
    added = 0
    if any(c.observations for c in collected):
        added = outbox.put((str(o.id), o.model_dump_json()) for c in collected for o in c.observations)
    for c in collected:
        if c.commit_record:
            outbox.set_meta(sequence_key(c.address), c.last_record.to_meta() if c.last_record else "")
    return added


@dataclass
class DeviceHealth:
    last_seen: datetime | None = None
    rssi: int | None = None
    clock_offset_s: float | None = None
    battery: int | None = None
    failures: int = 0
    next_try: datetime | None = None
    problems: list[str] = field(default_factory=list)
    info: dict[str, str] = field(default_factory=dict)  # manufacturer, model, serial, firmware

    def as_status(self) -> dict[str, object]:
        return {"last_seen": self.last_seen.isoformat() if self.last_seen else None, "rssi": self.rssi,
                "clock_offset_s": self.clock_offset_s, "battery": self.battery, "failures": self.failures,
                **self.info}


class Gateway:
    def __init__(self, gateway_id: str, transport: Transport, outbox: Outbox, publisher: Publisher,
                 devices: list[EnrolledDevice], tz: ZoneInfo, *, scan_interval_s: float = 2.0,
                 heartbeat_interval_s: float = 60.0, status_file: Path | None = None) -> None:
        self.gateway_id = gateway_id
        self.transport = transport
        self.outbox = outbox
        self.publisher = publisher
        self.devices = {d.address: d for d in devices}
        self.health = {d.address: DeviceHealth() for d in devices}
        self.tz = tz
        self.scan_interval_s = scan_interval_s
        self.heartbeat_interval_s = heartbeat_interval_s
        self.status_file = status_file

    async def poll_once(self) -> int:
        """One scan and a session with every enrolled device that advertises; returns readings queued."""
        queued = 0
        now = datetime.now(UTC)
        for ad in await self.transport.scan(timeout=self.scan_interval_s):
            enrolled = self.devices.get(ad.address)
            if enrolled is None:
                continue
            health = self.health[ad.address]
            health.last_seen, health.rssi = now, ad.rssi
            if health.next_try and now < health.next_try:
                continue
            try:
                link = await self.transport.connect(ad.address, pair=enrolled.spec.bonding)
            except (LinkLost, OSError, TimeoutError) as exc:
                self._backoff(health, str(exc))
                continue
            last = Committed.from_meta(self.outbox.get_meta(sequence_key(ad.address))) if enrolled.spec.racp else None
            result = await run_session(link, ad.address, enrolled.spec, self.tz, last_record=last)
            if result.clock_offset is not None:
                health.clock_offset_s = result.clock_offset.total_seconds()
            if result.battery is not None:
                health.battery = result.battery
            if result.info:
                health.info = {**health.info, **result.info}
            queued += keep(self.outbox, [Collected(ad.address, result.observations, result.last_record,
                                                   result.commit_record)])
            if result.observations:
                self.publisher.wake()
            if result.problems:
                self._backoff(health, "; ".join(result.problems))
            else:
                health.failures, health.next_try = 0, None
            log.debug("device_session", device=ad.address, readings=len(result.observations),
                      problems=len(result.problems))
        return queued

    def _backoff(self, health: DeviceHealth, problem: str) -> None:
        health.failures += 1
        delay = min(2 ** health.failures, 300)
        health.next_try = datetime.now(UTC) + timedelta(seconds=delay)
        health.problems = [problem][-5:]

    def device_status(self) -> dict[str, dict[str, object]]:
        """Per device: profile, last seen, battery, RSSI, clock offset, failed tries."""
        return {a: {"profile": self.devices[a].spec.profile_id, **h.as_status()} for a, h in self.health.items()}

    def heartbeat(self, *, running: bool = True) -> None:
        """The retained status topic (outbox depth and software version ride in it) and the local status
        file that `nearcare gateway status` and the status page read."""
        devices = self.device_status()
        self.publisher.publish_status(devices)
        metrics.update(self.outbox.depth(), self.outbox.evicted, self.publisher.last_upload,
                       self.publisher.connected, devices)
        if self.status_file is not None:
            last = self.publisher.last_upload
            write_status(self.status_file, {
                "gateway_id": self.gateway_id, "at": datetime.now(UTC).isoformat(), "running": running,
                "heartbeat_s": self.heartbeat_interval_s, "software": self.publisher.software,
                "connected": self.publisher.connected, "last_upload": last.isoformat() if last else None,
                "outbox_depth": self.outbox.depth(), "evicted": self.outbox.evicted, "devices": devices})

    async def run(self, stop: asyncio.Event) -> None:
        last_beat = 0.0
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            try:
                await self.poll_once()
            except Exception:  # the radio stack misbehaves now and then; the gateway must live on
                log.exception("gateway_poll_failed")
            if loop.time() - last_beat >= self.heartbeat_interval_s:
                self.heartbeat()
                last_beat = loop.time()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.scan_interval_s)
