"""Streaming latency of the alert core: readings committed the way ingest commits them, at a fixed rate, and the
time from each commit to the alert row that the reading opened or updated.

Runs on an already-migrated scratch database (the CLI creates and drops it). Each batch inserts observations
and their alert-queue rows in one transaction and sends NOTIFY nearcare_observations, as ingest.store does; the
commit time of every reading is recorded when the commit returns. A trigger on the scratch database logs every
alert write with clock_timestamp(), and each out-of-range reading's latency is its first logged write minus
its commit. Workers are separate processes running alerts.worker.AlertWorker; readings start once each is ready
(connected, listening, its history cache read), so the figures are of a running system, not of a start.
"""

from __future__ import annotations

import multiprocessing as mp
import random
import statistics
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from device_profiles.codes import CODES

CONDITIONS = (("heart_failure",), ("copd",), ("diabetes",), ("hypertension",), ("heart_failure", "diabetes"))
# internal code → (usual value, day-to-day SD, a red value)
VITALS: dict[str, tuple[float, float, float]] = {
    "bp_systolic": (135, 8, 190), "bp_diastolic": (80, 5, 125), "pulse_rate": (72, 5, 135),
    "spo2": (95, 1, 85), "body_weight": (80, 0.4, 80), "glucose": (7.5, 1.5, 2.5),
}
CODES_BY_CONDITION = {"heart_failure": ("body_weight", "spo2"), "copd": ("spo2",), "diabetes": ("glucose",),
                      "hypertension": ()}
_READY_TIMEOUT_S = 120.0
_WRITE_LOG = """
CREATE TABLE bench_alert_writes (observation_id uuid, written_at timestamptz);
CREATE FUNCTION bench_log_alert_write() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO bench_alert_writes SELECT e, clock_timestamp() FROM unnest(NEW.evidence) AS e;
    RETURN NEW;
END $$;
CREATE TRIGGER bench_log_alert_write AFTER INSERT OR UPDATE ON alerts FOR EACH ROW
    EXECUTE FUNCTION bench_log_alert_write();
"""


@dataclass(frozen=True)
class LatencyConfig:
    patients: int = 2000
    rate: float = 2000.0  # readings/s
    seconds: float = 30.0
    batch_ms: float = 50.0  # one ingest transaction per batch
    abnormal: float = 0.01  # share of readings with a red value
    history_days: int = 14
    seed: int = 1


@dataclass
class LatencyRun:
    label: str
    workers: int
    trends: bool
    readings: int = 0
    achieved_rate: float = 0.0
    measured: int = 0  # out-of-range readings with an alert write
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    drain_s: float = 0.0  # after the last commit until the queue was empty
    latencies: list[float] = field(default_factory=list, repr=False)


def _plan(rng: random.Random, n: int) -> list[tuple[int, tuple[str, ...]]]:
    return [(i, CONDITIONS[rng.randrange(len(CONDITIONS))]) for i in range(n)]


def seed(database_url: str, cfg: LatencyConfig) -> list[tuple[int, tuple[str, ...]]]:
    """Patients with ``history_days`` of ordinary daily readings, and the alert-write log."""
    rng = random.Random(cfg.seed)
    now = datetime.now(UTC)
    with psycopg.connect(database_url) as conn:
        org = conn.execute("INSERT INTO organisations (name, kind) VALUES ('Bench', 'nursing_team') RETURNING id"
                           ).fetchone()
        assert org
        patients = []
        for _, conditions in _plan(rng, cfg.patients):
            row = conn.execute("INSERT INTO patients (display_name, nursing_org_id, gp_org_id, conditions)"
                               " VALUES ('Bench', %s, %s, %s) RETURNING id", (org[0], org[0], list(conditions))
                               ).fetchone()
            assert row
            patients.append((int(row[0]), conditions))
        with conn.cursor() as cur, cur.copy("COPY observations (id, patient_id, code, value, unit, measured_at,"
                                            " received_at) FROM STDIN") as copy:
            for pid, conditions in patients:
                for d in range(cfg.history_days, 0, -1):
                    at = now - timedelta(days=d)
                    for code in _codes(conditions):
                        mean, sd, _ = VITALS[code]
                        copy.write_row((uuid.uuid4(), pid, CODES[code].loinc, float(round(rng.gauss(mean, sd), 1)),
                                        CODES[code].unit, at, at))
        conn.execute(_WRITE_LOG)
    return patients


def _codes(conditions: tuple[str, ...]) -> tuple[str, ...]:
    extra = tuple(dict.fromkeys(c for cond in conditions for c in CODES_BY_CONDITION[cond]))
    return ("bp_systolic", "bp_diastolic", "pulse_rate", *extra)


_INSERT = """
WITH moved AS (
    INSERT INTO observations (id, patient_id, code, value, unit, measured_at, received_at, ingested_at)
    SELECT id, pid, code, value, unit, at, at, clock_timestamp()
    FROM unnest(%s::uuid[], %s::int[], %s::text[], %s::float8[], %s::text[], %s::timestamptz[])
        AS t(id, pid, code, value, unit, at)
    ON CONFLICT DO NOTHING RETURNING id, patient_id
), queued AS (
    INSERT INTO alert_queue (patient_id, observation_ids) SELECT patient_id, array_agg(id) FROM moved
    GROUP BY patient_id
)
SELECT count(*) FROM moved
"""


def _produce(database_url: str, cfg: LatencyConfig, patients: list[tuple[int, tuple[str, ...]]],
             rng: random.Random) -> tuple[dict[uuid.UUID, float], int, float]:
    """Commit batches at the configured rate; returns commit time of each abnormal reading, count, seconds."""
    per_batch = max(1, round(cfg.rate * cfg.batch_ms / 1000))
    batches = max(1, round(cfg.seconds * 1000 / cfg.batch_ms))
    committed: dict[uuid.UUID, float] = {}
    total = 0
    with psycopg.connect(database_url) as conn:
        started = time.monotonic()
        for b in range(batches):
            due = started + b * cfg.batch_ms / 1000
            if (wait := due - time.monotonic()) > 0:
                time.sleep(wait)
            now = datetime.now(UTC)
            cols: list[list[object]] = [[], [], [], [], [], []]
            abnormal = []
            for _ in range(per_batch):
                pid, conditions = patients[rng.randrange(len(patients))]
                code = rng.choice(_codes(conditions))
                mean, sd, red = VITALS[code]
                bad = code != "body_weight" and rng.random() < cfg.abnormal
                obs = uuid.uuid4()
                value = float(red) if bad else round(rng.gauss(mean, sd), 1)
                for col, v in zip(cols, (obs, pid, CODES[code].loinc, value, CODES[code].unit, now), strict=True):
                    col.append(v)
                if bad:
                    abnormal.append(obs)
            conn.execute(_INSERT, cols)
            conn.execute("SELECT pg_notify('nearcare_observations', '{}')")
            conn.commit()
            at = time.time()
            committed.update((o, at) for o in abnormal)
            total += per_batch
        elapsed = time.monotonic() - started
    return committed, total, elapsed


def _worker(database_url: str, trends: bool, ready: Any = None) -> None:
    from alerts.worker import FREEZE_GC_S, AlertWorker

    w = AlertWorker(database_url, poll_interval_s=0.2, sweep_interval_s=3600, trends=trends,
                    freeze_gc_s=FREEZE_GC_S)  # its own process, as `nearcare alerts run`
    w.start()
    if ready is not None and w.ready.wait(_READY_TIMEOUT_S):
        ready.set()
    while True:
        time.sleep(3600)


def run_one(database_url: str, cfg: LatencyConfig, patients: list[tuple[int, tuple[str, ...]]], workers: int,
            trends: bool, label: str) -> LatencyRun:
    ctx = mp.get_context("spawn")
    ready = [ctx.Event() for _ in range(workers)]
    procs = [ctx.Process(target=_worker, args=(database_url, trends, r), daemon=True) for r in ready]
    for p in procs:
        p.start()
    try:
        # Measure a running system, not a process start: wait until every worker is connected, listening and
        # has read the patients' histories into its cache (alerts.cache, alerts.worker.AlertWorker.ready).
        deadline = time.monotonic() + _READY_TIMEOUT_S
        for r in ready:
            r.wait(max(0.0, deadline - time.monotonic()))
        time.sleep(0.5)
        committed, total, elapsed = _produce(database_url, cfg, patients, random.Random(cfg.seed + workers))
        drain_start = time.monotonic()
        with psycopg.connect(database_url, autocommit=True) as conn:
            while (row := conn.execute("SELECT count(*) FROM alert_queue").fetchone()) and row[0] > 0:
                if time.monotonic() - drain_start > 300:
                    break
                time.sleep(0.05)
            drained = time.monotonic() - drain_start
            rows = conn.execute("SELECT observation_id, extract(epoch FROM min(written_at)) FROM bench_alert_writes"
                                " WHERE observation_id = ANY(%s) GROUP BY observation_id",
                                (list(committed),)).fetchall()
    finally:
        for p in procs:
            p.terminate()
            p.join(5)
    lat = sorted(max(0.0, float(at) - committed[obs]) * 1000 for obs, at in rows)
    run = LatencyRun(label, workers, trends, total, total / elapsed, len(lat), drain_s=drained, latencies=lat)
    if lat:
        run.p50_ms = statistics.median(lat)
        run.p99_ms = lat[min(len(lat) - 1, int(0.99 * len(lat)))]
        run.max_ms = lat[-1]
    return run


def table(runs: list[LatencyRun], cfg: LatencyConfig) -> str:
    head = ("| rules | workers | readings | readings/s | alerting readings | p50 ms | p99 ms | max ms "
            "| queue drained after last commit |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
    lines = [f"| {r.label} | {r.workers} | {r.readings:,} | {r.achieved_rate:,.0f} | {r.measured} | "
             f"{r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.max_ms:.1f} | {r.drain_s:.2f} s |" for r in runs]
    return head + "\n".join(lines) + "\n"
