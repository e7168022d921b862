"""Test helpers that put real parts together: a patient with a kit, an ingest worker, a simulated kit."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg

from gateway.outbox import Outbox
from gateway.publisher import Publisher
from gateway.runner import EnrolledDevice, Gateway
from gateway.sim.devices import KINDS, SimulatedDevice
from gateway.sim.radio import SimulatedRadio
from ingest.consumer import IngestConfig, IngestWorker

TZ = ZoneInfo("Europe/Copenhagen")
EMBEDDED_BROKER = os.environ.get("NEARCARE_TEST_EMBEDDED") == "1"


def make_patient(database_url: str, *, conditions: tuple[str, ...] = ("heart_failure",),
                 org_name: str = "Hjemmesygeplejen Test") -> tuple[int, str, int]:
    """An organisation (nursing team and GP in one, for brevity), a patient and an assigned kit.
    Returns (patient_id, gateway_id, organisation_id)."""
    gateway_id = f"kit-{uuid.uuid4().hex[:8]}"
    with psycopg.connect(database_url) as conn:
        org = conn.execute(
            "INSERT INTO organisations (name, kind) VALUES (%s, 'nursing_team')"
            " ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id", (org_name,)
        ).fetchone()[0]
        patient = conn.execute(
            "INSERT INTO patients (display_name, birth_year, nursing_org_id, gp_org_id, conditions)"
            " VALUES ('Test Patient', 1940, %s, %s, %s) RETURNING id", (org, org, list(conditions))
        ).fetchone()[0]
        conn.execute("INSERT INTO gateways (id) VALUES (%s)", (gateway_id,))
        conn.execute("INSERT INTO kit_assignments (gateway_id, patient_id, valid_from) VALUES (%s, %s, %s)",
                     (gateway_id, patient, datetime.now(UTC) - timedelta(days=90)))
    return patient, gateway_id, org


@contextmanager
def ingest_worker(database_url: str, mqtt_url: str, *, shared: bool | None = None) -> Iterator[IngestWorker]:
    """An ingest worker on its own share group; the embedded broker has no shared subscriptions."""
    if shared is None:
        shared = not EMBEDDED_BROKER
    tag = uuid.uuid4().hex[:8]
    worker = IngestWorker(IngestConfig(database_url, mqtt_url, client_id=f"test-ingest-{tag}",
                                       shared_subscription=shared, share_group=f"ingest-{tag}"))
    worker.start()
    assert worker.wait_subscribed(10), "ingest worker did not subscribe"
    try:
        yield worker
    finally:
        worker.stop(forget_session=True)


class SimKit:
    """A gateway with simulated devices, its own outbox and a real MQTT publisher."""

    def __init__(self, gateway_id: str, mqtt_url: str, tmp: Path, kinds: tuple[str, ...] = ("bp", "weight")):
        """``kinds`` are keys of gateway.sim.devices.KINDS: bp, weight, glucose, spo2, temp."""
        self.devices = {k: SimulatedDevice(f"C0:00:00:00:00:{i:02X}", KINDS[k], clock_drift=timedelta(seconds=95))
                        for i, k in enumerate(kinds)}
        self.outbox = Outbox(tmp / f"{gateway_id}.sqlite")
        self.publisher = Publisher(gateway_id, mqtt_url, self.outbox)
        # Each device is enrolled with the spec of its shipped profile, as a real kit would be.
        enrolled = [EnrolledDevice(d.address, d.kind.spec) for d in self.devices.values()]
        self.gateway = Gateway(gateway_id, SimulatedRadio(list(self.devices.values()), TZ), self.outbox,
                               self.publisher, enrolled, TZ)

    def __enter__(self) -> SimKit:
        self.publisher.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.publisher.stop()
        self.outbox.close()

    def poll(self) -> int:
        return asyncio.run(self.gateway.poll_once())


def wait_for_rows(database_url: str, query: str, n: int, timeout: float = 10) -> list[tuple]:
    """Poll ``query`` until it returns at least ``n`` rows (or the time is up) and return them."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        with psycopg.connect(database_url) as conn:
            rows = conn.execute(query).fetchall()
        if len(rows) >= n or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)
