"""A gateway over simulated devices with a real SQLite outbox and no broker: what a session leaves behind."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from gateway.download import sequence_key
from gateway.outbox import Outbox
from gateway.publisher import Publisher
from gateway.runner import EnrolledDevice, Gateway
from gateway.sim.devices import KINDS, SimulatedDevice
from gateway.sim.radio import SimLink, SimulatedRadio
from gateway.sim.scenarios import Sample

TZ = ZoneInfo("Europe/Copenhagen")
BASE = datetime(2025, 3, 4, 7, 30)  # naive local, as the patient lives it


class SpyRadio(SimulatedRadio):
    """The simulated radio, noting every RACP request the gateway writes."""

    def __init__(self, devices: list[SimulatedDevice], tz: ZoneInfo) -> None:
        super().__init__(devices, tz)
        self.racp_writes: list[str] = []

    async def connect(self, address: str, *, pair: bool = False, timeout: float = 10.0) -> SimLink:
        link = await super().connect(address, pair=pair, timeout=timeout)
        write = link.write

        async def spied(characteristic: str, data: bytes, *, response: bool = True) -> None:
            if characteristic == "2a52":
                self.racp_writes.append(data.hex(" "))
            await write(characteristic, data, response=response)

        link.write = spied  # type: ignore[method-assign]
        return link


class Bench:
    def __init__(self, tmp: Path, kind: str = "glucose", **device: object) -> None:
        self.device = SimulatedDevice("C0:11:22:33:44:55", KINDS[kind], **device)  # type: ignore[arg-type]
        self.outbox = Outbox(tmp / "outbox.sqlite")
        self.radio = SpyRadio([self.device], TZ)
        publisher = Publisher("bench", "mqtt://127.0.0.1:1", self.outbox)  # never started: nothing is sent
        self.gateway = Gateway("bench", self.radio, self.outbox, publisher,
                               [EnrolledDevice(self.device.address, self.device.kind.spec)], TZ)
        self.taken: list[Sample] = []

    def take(self, n: int, start: datetime | None = None, step: timedelta = timedelta(hours=5)) -> list[Sample]:
        """The patient tests ``n`` times; each reading differs in time and value."""
        first = start or (self.taken[-1].at + step if self.taken else BASE)
        samples = [Sample(first + i * step, "glucose", {"glucose": round(4.0 + (len(self.taken) + i) % 90 / 10, 1)})
                   for i in range(n)]
        for s in samples:
            self.device.take(s)
        self.taken.extend(samples)
        return samples

    def poll(self) -> int:
        self.radio.racp_writes.clear()
        self.gateway.health[self.device.address].next_try = None  # no back-off between polls in a test
        return asyncio.run(self.gateway.poll_once())

    def rows(self) -> list[dict[str, object]]:
        return [json.loads(e.payload) for e in self.outbox.oldest(100_000)]

    def measured(self) -> list[datetime]:
        """The local measured times in the outbox, one per row."""
        return sorted(datetime.fromisoformat(str(r["measured_at"])).astimezone(TZ).replace(tzinfo=None)
                      for r in self.rows())

    def committed(self) -> str | None:
        return self.outbox.get_meta(sequence_key(self.device.address))

    def close(self) -> None:
        self.outbox.close()


def each_once(bench: Bench, samples: Callable[[], list[Sample]] | None = None) -> bool:
    """Every reading the patient took is in the outbox exactly once."""
    return bench.measured() == sorted(s.at for s in (samples() if samples else bench.taken))
