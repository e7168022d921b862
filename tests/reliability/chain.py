"""The whole chain for fault tests: readings in a gateway outbox, a private broker, ingest, the alert core.

Every fault test ends with the same proof: each reading is stored exactly once, the alert queue is empty,
and the alerts equal those of a clean run over the same readings in a fresh database.
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from alerts.engine import run_once
from device_profiles.wire import DeviceRef, ObservationBatch, WireObservation, topic
from gateway.outbox import Outbox
from ingest.pipeline import Message, process
from tests.conftest import ARTIFACTS, DatabaseFactory
from tests.support.platform import make_patient

CONDITIONS = ("heart_failure",)
DEVICE = DeviceRef(id="C0:00:00:00:00:01", profile="and_ua651ble")


def readings(n: int, *, end: datetime | None = None, step: timedelta = timedelta(minutes=1),
             received_at: datetime | None = None) -> list[WireObservation]:
    """``n`` distinct readings ending at ``end``: pulse and systolic pressure alternately, every one red, so
    the right outcome is one live alert per measurement whatever the order or batching."""
    end = (end or datetime.now(UTC)).replace(microsecond=0)
    out = []
    for i in range(n):
        at = end - step * (n - 1 - i)
        code, unit, value = ("8867-4", "/min", 130.0 + i % 7) if i % 2 else ("8480-6", "mm[Hg]", 190.0 + i % 5)
        out.append(WireObservation(id=uuid.uuid4(), code=code, value=value, unit=unit, measured_at=at,
                                   received_at=received_at or at, device=DEVICE))
    return out


def fill(outbox: Outbox, observations: Sequence[WireObservation]) -> None:
    outbox.put((str(o.id), o.model_dump_json()) for o in observations)


def counts(database_url: str) -> tuple[int, int]:
    """(rows, distinct ids) in observations."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*), count(DISTINCT id) FROM observations").fetchone()
    assert row
    return int(row[0]), int(row[1])


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return True
        except psycopg.OperationalError:
            pass  # the database is down for the test; keep asking
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


def wait_rows(database_url: str, n: int, timeout: float) -> bool:
    return wait_until(lambda: counts(database_url)[0] >= n, timeout)


def drain_alerts(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        total = 0
        while (n := run_once(conn)) > 0:
            total += n
    return total


def alert_summary(database_url: str) -> Counter[tuple[str, str, str]]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT rule, code, severity FROM alerts").fetchall()
    return Counter((str(r), str(c), str(s)) for r, c, s in rows)


def stored(database_url: str) -> dict[uuid.UUID, datetime]:
    with psycopg.connect(database_url) as conn:
        return dict(conn.execute("SELECT id, measured_at FROM observations").fetchall())


def reference_alerts(db_factory: DatabaseFactory, observations: Sequence[WireObservation],
                     conditions: tuple[str, ...] = CONDITIONS) -> Counter[tuple[str, str, str]]:
    """The alerts a clean run raises over the same readings: one pass, no faults, a fresh database."""
    url = db_factory.new()
    _, gateway_id, _ = make_patient(url, conditions=conditions)
    now = datetime.now(UTC)
    with psycopg.connect(url) as conn:
        for i in range(0, len(observations), 500):
            chunk = tuple(observations[i:i + 500])
            batch = ObservationBatch(gateway_id=gateway_id, sent_at=now, observations=chunk)
            with conn.transaction():
                process(conn, [Message(topic(gateway_id, "obs"), batch.model_dump_json().encode())])
    drain_alerts(url)
    return alert_summary(url)


@dataclass
class Proof:
    """What a fault test measured; written to test-artifacts/faults.jsonl for docs/reliability.md."""

    name: str
    readings: int
    recovery_s: float | None = None
    duplicates_discarded: int = 0
    extra: dict[str, object] = field(default_factory=dict)

    def record(self) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        with (ARTIFACTS / "faults.jsonl").open("a") as f:
            f.write(json.dumps({"test": self.name, "readings": self.readings,
                                "recovery_s": None if self.recovery_s is None else round(self.recovery_s, 2),
                                "duplicates_discarded": self.duplicates_discarded, **self.extra,
                                "at": datetime.now(UTC).isoformat(timespec="seconds")}) + "\n")


def prove(database_url: str, db_factory: DatabaseFactory, sent: Sequence[WireObservation], proof: Proof,
          *, times: Callable[[WireObservation], datetime] | None = None) -> None:
    """Exactly once, right times, no alert lost or doubled."""
    rows, distinct = counts(database_url)
    assert rows == distinct == len(sent), (rows, distinct, len(sent))
    kept = stored(database_url)
    assert set(kept) == {o.id for o in sent}
    expect = times or (lambda o: o.measured_at)
    wrong = [(o.id, kept[o.id], expect(o)) for o in sent if abs(kept[o.id] - expect(o)) > timedelta(seconds=2)]
    assert not wrong, wrong[:3]
    drain_alerts(database_url)
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM alert_queue").fetchone() == (0,)
    got = alert_summary(database_url)
    assert got == reference_alerts(db_factory, sent), got
    assert got and max(got.values()) == 1, got  # one alert per rule and measurement, not a burst
    proof.extra["alerts"] = sum(got.values())
    proof.record()


def outbox_at(tmp: Path, gateway_id: str) -> Outbox:
    return Outbox(tmp / f"{gateway_id}.sqlite")
