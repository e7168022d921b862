"""`nearcare bench ingest`: readings from simulated gateways through a real broker into a scratch database,
measured end to end beside a raw COPY of the same rows and a naive one-INSERT-per-reading consumer."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit, urlunsplit

import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion
from psycopg import sql

from ingest.bench_load import COLUMNS, NaiveConsumer, Plan, private_mosquitto, start_publisher
from ingest.migrate import migrate

Progress = Callable[[str], None]


@dataclass(frozen=True)
class BenchConfig:
    server_url: str  # a PostgreSQL where the bench may create (and drop) a scratch database
    mqtt_url: str | None = None  # None: a private Mosquitto on a free port
    readings: int = 100_000
    gateways: int = 20
    per_message: int = 10
    workers: int = 1
    batch_size: int = 1000
    batch_wait_ms: int = 50
    naive_readings: int = 5_000
    paced_rate: float = 2_000.0  # readings/s
    paced_seconds: float = 15.0
    keep_database: bool = False


@dataclass(frozen=True)
class Measured:
    name: str
    readings: int
    seconds: float
    rows_per_s: float
    p50_ms: float | None = None
    p99_ms: float | None = None


@dataclass
class BenchReport:
    config: BenchConfig
    end_to_end: Measured
    raw_copy: Measured
    naive: Measured
    paced: Measured
    machine: dict[str, str] = field(default_factory=dict)

    @property
    def rows(self) -> list[Measured]:
        return [self.end_to_end, self.raw_copy, self.naive]

    @property
    def of_copy(self) -> float:
        return self.end_to_end.rows_per_s / self.raw_copy.rows_per_s

    @property
    def of_naive(self) -> float:
        return self.end_to_end.rows_per_s / self.naive.rows_per_s

    def table(self) -> str:
        def ms(v: float | None) -> str:
            return "—" if v is None else f"{v:.0f}"

        lines = [f"{'path':<34} {'readings':>9} {'rows/s':>9} {'p50 ms':>7} {'p99 ms':>7}"]
        for m in [*self.rows, self.paced]:
            lines.append(f"{m.name:<34} {m.readings:>9} {m.rows_per_s:>9.0f} {ms(m.p50_ms):>7} {ms(m.p99_ms):>7}")
        lines.append(f"end to end / raw COPY = {self.of_copy:.0%}   end to end / naive = {self.of_naive:.1f}×")
        return "\n".join(lines)

    def to_json(self) -> str:
        return json.dumps({"config": asdict(self.config), "rows": [asdict(m) for m in [*self.rows, self.paced]],
                           "of_copy": self.of_copy, "of_naive": self.of_naive, "machine": self.machine})


def _with_db(url: str, name: str) -> str:
    p = urlsplit(url)
    return urlunsplit((p.scheme, p.netloc, "/" + name, p.query, p.fragment))


@contextlib.contextmanager
def _scratch_database(server_url: str, keep: bool) -> Iterator[str]:
    name = f"nc_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        url = _with_db(server_url, name)
        migrate(url)
        yield url
    finally:
        if not keep:
            with psycopg.connect(server_url, autocommit=True) as conn:
                conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def _kits(database_url: str, n: int) -> dict[str, int]:
    """``n`` gateways, each assigned to a patient of its own; returns gateway id → patient id."""
    with psycopg.connect(database_url) as conn:
        org = conn.execute("INSERT INTO organisations (name, kind) VALUES ('Bench', 'nursing_team') RETURNING id"
                           ).fetchone()
        assert org
        kits: dict[str, int] = {}
        for i in range(n):
            gateway = f"bench-gw-{i:04d}"
            patient = conn.execute("INSERT INTO patients (display_name, nursing_org_id, gp_org_id)"
                                   " VALUES (%s, %s, %s) RETURNING id", (f"Bench {i}", org[0], org[0])).fetchone()
            assert patient
            conn.execute("INSERT INTO gateways (id) VALUES (%s)", (gateway,))
            conn.execute("INSERT INTO kit_assignments (gateway_id, patient_id, valid_from)"
                         " VALUES (%s, %s, '2000-01-01')", (gateway, patient[0]))
            kits[gateway] = int(patient[0])
        for table in ("bench_copy", "bench_naive"):
            conn.execute(sql.SQL("CREATE TABLE {} (LIKE observations INCLUDING ALL)").format(sql.Identifier(table)))
    return kits


def _measure(database_url: str, name: str, table: str, device: str) -> Measured:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            sql.SQL("SELECT count(*), extract(epoch FROM max(ingested_at) - min(received_at)),"
                    " percentile_cont(0.5) WITHIN GROUP (ORDER BY ingested_at - received_at),"
                    " percentile_cont(0.99) WITHIN GROUP (ORDER BY ingested_at - received_at)"
                    " FROM {} WHERE device_id = %s").format(sql.Identifier(table)), (device,)).fetchone()
    assert row
    n, seconds = int(row[0]), float(row[1] or 0)
    return Measured(name, n, seconds, n / seconds if seconds else 0.0, row[2].total_seconds() * 1000,
                    row[3].total_seconds() * 1000)


def _wait_committed(database_url: str, table: str, device: str, n: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    query = sql.SQL("SELECT count(*) FROM {} WHERE device_id = %s").format(sql.Identifier(table))
    with psycopg.connect(database_url, autocommit=True) as conn:
        while True:
            row = conn.execute(query, (device,)).fetchone()
            if row and row[0] >= n:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{table}: {row[0] if row else 0} of {n} readings committed in {timeout:.0f} s")
            time.sleep(0.1)


@contextlib.contextmanager
def _workers(cfg: BenchConfig, database_url: str, mqtt_url: str, tag: str) -> Iterator[None]:
    """The ingest workers as they run in production: `nearcare ingest run` processes in one share group."""
    # "always": share even on a Mosquitto that forgets shared subscriptions across its restart (ingest/broker.py);
    # the bench never restarts the broker, and sharing is what splits the load between workers.
    env = {**os.environ, "NEARCARE_DATABASE_URL": database_url, "NEARCARE_MQTT_URL": mqtt_url,
           "NEARCARE_MQTT_SHARED_SUBSCRIPTION": "always", "NEARCARE_INGEST_SHARE_GROUP": f"bench-{tag}",
           "NEARCARE_INGEST_BATCH_SIZE": str(cfg.batch_size), "NEARCARE_INGEST_BATCH_WAIT_MS": str(cfg.batch_wait_ms),
           "NEARCARE_LOG_FORMAT": "json"}
    ids = [f"bench-ingest-{tag}-{i}" for i in range(cfg.workers)]
    procs = [subprocess.Popen([sys.executable, "-m", "nearcare", "ingest", "run", "--client-id", cid], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) for cid in ids]
    try:
        for proc in procs:
            lines: queue.Queue[str] = queue.Queue()
            threading.Thread(target=lambda p=proc, q=lines: [q.put(x) for x in p.stdout or ()], daemon=True).start()
            deadline = time.monotonic() + 30
            while '"ingest_subscribed"' not in lines.get(timeout=max(0.1, deadline - time.monotonic())):
                pass
        yield
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(30)
        host, port = urlsplit(mqtt_url).hostname or "127.0.0.1", urlsplit(mqtt_url).port or 1883
        for cid in ids:  # drop the persistent sessions
            client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=cid, protocol=mqtt.MQTTv5)
            client.connect(host, port, clean_start=True)
            client.disconnect()


def _publish(mqtt_url: str, database_url: str, plan: Plan, rate: float | None, count_sql: str | None,
             table: str, timeout: float, max_outstanding: int) -> None:
    proc = start_publisher(mqtt_url, plan, rate, database_url, count_sql, max_outstanding)
    _wait_committed(database_url, table, f"bench-{plan.phase}", plan.count, timeout)
    proc.join(30)


def _raw_copy(database_url: str, plan: Plan, kits: dict[str, int]) -> Measured:
    rows = list(plan.rows(kits, datetime.now(UTC)))
    with psycopg.connect(database_url) as conn:
        started = time.perf_counter()
        with conn.cursor() as cur, cur.copy(
                sql.SQL("COPY bench_copy ({}) FROM STDIN (FORMAT BINARY)").format(
                    sql.SQL(", ").join(map(sql.Identifier, COLUMNS)))) as copy:
            copy.set_types(["uuid", "int4", "text", "float8", "text", "timestamptz", "timestamptz", "text", "text",
                            "text", "int4", "text", "text[]"])
            for row in rows:
                copy.write_row(row)
        conn.commit()
        seconds = time.perf_counter() - started
    return Measured("raw COPY, same rows and table shape", len(rows), seconds, len(rows) / seconds)


def machine(database_url: str) -> dict[str, str]:
    info = {"nproc": str(os.cpu_count()), "python": platform.python_version()}
    with contextlib.suppress(OSError):
        cpuinfo = open("/proc/cpuinfo").read()  # noqa: SIM115
        info["cpu"] = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines()
                            if line.startswith("model name")), "?")
        meminfo = open("/proc/meminfo").read()  # noqa: SIM115
        info["ram_gib"] = f"{int(meminfo.split()[1]) / 1024 / 1024:.1f}"
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT version()").fetchone()
        info["postgresql"] = str(row[0]).split(" on ")[0] if row else "?"
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        out = subprocess.run(["mosquitto", "-h"], capture_output=True, text=True, timeout=5).stdout
        info["mosquitto"] = out.splitlines()[0] if out else "?"
    return info


def run(cfg: BenchConfig, progress: Progress = lambda _: None) -> BenchReport:
    tag = uuid.uuid4().hex[:8]
    with contextlib.ExitStack() as stack:
        database_url = stack.enter_context(_scratch_database(cfg.server_url, cfg.keep_database))
        mqtt_url = cfg.mqtt_url or stack.enter_context(private_mosquitto())
        kits = _kits(database_url, cfg.gateways)
        gateways = tuple(kits)
        e2e = Plan(tag, "e2e", gateways, 0, cfg.readings, cfg.per_message)
        paced = Plan(tag, "paced", gateways, 0, int(cfg.paced_rate * cfg.paced_seconds), cfg.per_message)
        naive = Plan(tag, "naive", gateways, 0, cfg.naive_readings, cfg.per_message)
        queued = None  # committed readings from the workers' commit notifications (bench_load._Committed)
        # Mosquitto's default `max_queued_messages 1000` drops what a busy worker cannot take; a longer lead
        # (the receive window plus that queue, 2,750 messages) lost readings on the machine's Mosquitto 2.0.11.
        outstanding = 20_000 if cfg.mqtt_url is None else 1_000 // max(1, cfg.workers)
        with _workers(cfg, database_url, mqtt_url, tag):
            progress(f"end to end: {cfg.readings} readings from {cfg.gateways} gateways, {cfg.workers} worker(s)")
            _publish(mqtt_url, database_url, e2e, None, queued, "observations", 600, outstanding)
            progress(f"paced: {cfg.paced_rate:.0f} readings/s for {cfg.paced_seconds:.0f} s")
            _publish(mqtt_url, database_url, paced, cfg.paced_rate, queued, "observations",
                     cfg.paced_seconds + 120, outstanding)
        progress(f"naive consumer: {cfg.naive_readings} readings")
        consumer = NaiveConsumer(database_url, mqtt_url, "bench_naive")
        try:
            _publish(mqtt_url, database_url, naive, None, "SELECT count(*) FROM bench_naive", "bench_naive",
                     600, 500)
        finally:
            consumer.close()
        progress("raw COPY of the end-to-end rows")
        copied = _raw_copy(database_url, e2e, kits)
        return BenchReport(
            cfg,
            end_to_end=_measure(database_url, f"ingest end to end ({cfg.workers} worker)", "observations",
                                "bench-e2e"),
            raw_copy=copied,
            naive=_measure(database_url, "naive: INSERT per reading", "bench_naive", "bench-naive"),
            paced=_measure(database_url, f"ingest paced at {cfg.paced_rate:.0f}/s", "observations", "bench-paced"),
            machine=machine(database_url),
        )
    raise AssertionError("unreachable")  # pragma: no cover
