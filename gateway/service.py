"""The gateway as a service: config in, radio (bleak or simulated), outbox, publisher, heartbeat, status page,
systemd notifications; runs until SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal
import socket
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import structlog

from device_profiles.profiles import load_profile
from gateway.config import GatewayConfig
from gateway.health import outbox_depth, plain_status, read_status
from gateway.outbox import Outbox
from gateway.publisher import Publisher
from gateway.runner import EnrolledDevice, Gateway
from gateway.sim.devices import KINDS, SimulatedDevice
from gateway.sim.radio import SimulatedRadio
from gateway.sim.scenarios import Patient, Sample, day_samples
from gateway.specs import spec_for
from gateway.status_page import serve_status
from gateway.transport import Transport

log = structlog.get_logger(__name__)

SOFTWARE = "nearcare-gateway"


def software_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"{SOFTWARE} {version('nearcare')}"
    except PackageNotFoundError:
        return SOFTWARE


def status_lines(config: GatewayConfig, lang: str = "en") -> list[str]:
    """What `nearcare gateway status` prints and the status page shows."""
    devices = [(d.address, load_profile(d.profile).kind, d.label) for d in config.devices]
    return plain_status(read_status(config.status_path), devices, outbox_depth(config.outbox_path),
                        lang="da" if lang == "da" else "en")


def simulated_devices(config: GatewayConfig) -> list[SimulatedDevice]:
    """A simulated device for each enrolled one whose profile has a simulator, at the enrolled address."""
    by_profile = {k.profile_id: k for k in KINDS.values()}
    out = []
    for d in config.devices:
        kind = by_profile.get(d.profile)
        if kind is None:
            log.warning("gateway_no_simulator", device=d.address, profile=d.profile)
            continue
        out.append(SimulatedDevice(d.address, kind))
    return out


async def patient_measures(devices: list[SimulatedDevice], tz: ZoneInfo, every_s: float, stop: asyncio.Event,
                           scenario: str = "stable") -> None:
    """A simulated patient who measures with every device now and then, as the scenario says."""
    patient = Patient(seed=random.randrange(1 << 30), scenario=scenario, kinds=tuple(d.kind.kind for d in devices))
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every_s)
            return
        now = datetime.now(tz).replace(tzinfo=None, microsecond=0)
        samples = day_samples(patient, now, days_to_event=99)
        for device in devices:
            sample = next((s for s in samples if s.kind == device.kind.kind), None)
            if sample is not None:
                device.take(Sample(now, sample.kind, sample.values))


class _Systemd:
    """sd_notify without a dependency: READY once, WATCHDOG while the event loop is alive."""

    def __init__(self) -> None:
        self.address = os.environ.get("NOTIFY_SOCKET")
        usec = os.environ.get("WATCHDOG_USEC")
        self.watchdog_s = int(usec) / 1e6 if usec and usec.isdigit() else None

    def notify(self, message: str) -> None:
        if not self.address:
            return
        address = "\0" + self.address[1:] if self.address.startswith("@") else self.address
        with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.sendto(message.encode(), address)

    async def keep_alive(self, stop: asyncio.Event) -> None:
        if self.watchdog_s is None:
            return
        while not stop.is_set():
            self.notify("WATCHDOG=1")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=self.watchdog_s / 3)


def build(config: GatewayConfig, transport: Transport) -> tuple[Gateway, Publisher, Outbox]:
    gateway_id, mqtt_url = config.connection()
    outbox = Outbox(config.outbox_path)
    publisher = Publisher(gateway_id, mqtt_url, outbox, max_batches_per_s=config.drain_batches_per_s,
                          software=software_version())
    enrolled = [EnrolledDevice(d.address, spec_for(d.profile)) for d in config.devices]
    gateway = Gateway(gateway_id, transport, outbox, publisher, enrolled, ZoneInfo(config.timezone),
                      scan_interval_s=config.scan_interval_s, heartbeat_interval_s=config.heartbeat_s,
                      status_file=config.status_path)
    return gateway, publisher, outbox


def run(config: GatewayConfig, *, simulate: bool = False, measure_every_s: float = 0.0,
        scenario: str = "stable") -> None:
    """Run until SIGTERM or SIGINT. ``simulate``: simulated devices at the enrolled addresses instead of the
    radio; with ``measure_every_s`` > 0 a simulated patient measures that often."""
    asyncio.run(_main(config, simulate=simulate, measure_every_s=measure_every_s, scenario=scenario))


async def _main(config: GatewayConfig, *, simulate: bool, measure_every_s: float, scenario: str) -> None:
    tz = ZoneInfo(config.timezone)
    devices: list[SimulatedDevice] = []
    transport: Transport
    if simulate:
        devices = simulated_devices(config)
        transport = SimulatedRadio(devices, tz)
    else:
        from gateway.ble_bleak import BleakTransport

        transport = BleakTransport([d.address for d in config.devices], adapter=config.adapter)
    gateway, publisher, outbox = build(config, transport)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    server = serve_status(config.status_host, config.status_port, lambda: status_lines(config)) \
        if config.status_port else None
    systemd = _Systemd()
    publisher.start()
    log.info("gateway_started", gateway=gateway.gateway_id, devices=len(config.devices), simulate=simulate,
             outbox=outbox.depth(), at=datetime.now(UTC).isoformat())
    systemd.notify("READY=1")
    tasks = [gateway.run(stop), systemd.keep_alive(stop)]
    if simulate and measure_every_s > 0:
        tasks.append(patient_measures(devices, tz, measure_every_s, stop, scenario))
    try:
        await asyncio.gather(*tasks)
    finally:
        systemd.notify("STOPPING=1")
        gateway.heartbeat(running=False)
        if server is not None:
            server.shutdown()
        publisher.stop()
        outbox.close()
        log.info("gateway_stopped", gateway=gateway.gateway_id)
