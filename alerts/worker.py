"""The alert worker: woken by NOTIFY from ingest, with a periodic sweep so nothing waits for long.

The sweep escalates red alerts nobody acknowledged, wakes expired snoozes and raises "no data" alerts for
overdue planned measurements — things that happen because time passes, not because a reading arrived.
"""

from __future__ import annotations

import gc
import threading
import time
from datetime import UTC, datetime

import psycopg
import structlog

from alerts import lifecycle_store, metrics, missing, store
from alerts.cache import DEFAULT_PATIENTS, HistoryCache
from alerts.engine import run_once
from alerts.lifecycle import EscalationPolicy

log = structlog.get_logger(__name__)

WARM_CHUNK = 50  # patients whose history one idle moment reads (tens of ms: a NOTIFY waits no longer)
FREEZE_GC_S = 5.0  # how often a worker in a process of its own freezes what survived a collection
FREEZE_AFTER_READS = 200  # patients' histories read since the last gc.freeze that call for the next one


def sweep_once(conn: psycopg.Connection, policy: EscalationPolicy | None = None) -> dict[str, int]:
    """One periodic sweep in its own transaction."""
    with conn.transaction():
        counts = lifecycle_store.sweep(conn, policy)
        counts["no_data"] = missing.sweep(conn)
    return counts


class AlertWorker:
    """Evaluates queued readings as they are committed, on a thread of its own; with trend rules it keeps the
    patients' histories between batches (alerts.cache), read while idle after it starts."""

    def __init__(self, database_url: str, poll_interval_s: float = 1.0, sweep_interval_s: float = 60.0,
                 policy: EscalationPolicy | None = None, batch_size: int = 1000, trends: bool = True,
                 cache_patients: int = DEFAULT_PATIENTS, freeze_gc_s: float | None = None) -> None:
        self.database_url = database_url
        self.poll_interval_s = poll_interval_s
        self.sweep_interval_s = sweep_interval_s
        self.policy = policy
        self.batch_size = batch_size
        self.trends = trends
        # Patients whose history this worker keeps between batches (alerts.cache); 0 reads it every batch.
        self.cache = HistoryCache(cache_patients) if cache_patients > 0 and trends else None
        # A full cyclic-GC pass over a warm cache (hundreds of thousands of readings) stalls the worker for
        # hundreds of ms; every this many seconds what survived is moved out of the collector's scans
        # (gc.freeze) instead. Cached readings hold no reference cycles, so dropping them still frees them.
        # It freezes the whole process: only for a process of its own (`nearcare alerts run`), not when the
        # worker shares one with the web app and ingest (the demo) or a test run.
        self.freeze_gc_s = freeze_gc_s if self.cache is not None else None
        self._frozen_at = 0.0
        self._frozen_misses = 0
        # Set once connected, listening and (with a cache) done reading the active patients' histories.
        self.ready = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.processed = 0
        self.sweeps = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="alert-worker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=10)

    def _freeze(self, due: bool) -> None:
        """Collect, then freeze what is left (the cache, mostly). With ``due``, only once the interval passed
        or many histories were read since the last time (each full pass then would scan them all again)."""
        if self.freeze_gc_s is None or self.cache is None:
            return
        read = self.cache.misses - self._frozen_misses
        if due and time.monotonic() - self._frozen_at < self.freeze_gc_s and read < FREEZE_AFTER_READS:
            return
        gc.collect()  # cyclic garbage first, so the freeze keeps only live objects
        gc.freeze()
        self._frozen_at = time.monotonic()
        self._frozen_misses = self.cache.misses

    def _run(self) -> None:
        delay = 0.5
        next_sweep = next_depth = 0.0
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.database_url, autocommit=True) as listen, \
                        psycopg.connect(self.database_url) as work:
                    listen.execute("LISTEN nearcare_observations")
                    delay = 0.5
                    if self.cache is not None:
                        self.cache.clear()  # the database may have moved on (or been restored) while away
                    while not self._stop.is_set():
                        while (n := run_once(work, self.batch_size, trends=self.trends, cache=self.cache)) > 0:
                            self.processed += n
                            log.debug("alerts_evaluated", readings=n)
                            self._freeze(due=True)
                        if time.monotonic() >= next_depth:
                            metrics.QUEUE_DEPTH.set(store.queue_depth(work))
                            next_depth = time.monotonic() + 1.0
                        if time.monotonic() >= next_sweep:
                            counts = sweep_once(work, self.policy)
                            self.sweeps += 1
                            next_sweep = time.monotonic() + self.sweep_interval_s
                            if any(counts.values()):
                                log.info("alert_sweep", **counts)
                        if self.cache is not None and self.cache.warm(work, WARM_CHUNK, datetime.now(UTC)):
                            self._freeze(due=False)
                            continue  # idle: one more chunk of histories, after looking at the queue again
                        if not self.ready.is_set():
                            self._freeze(due=False)
                            self.ready.set()
                        for _ in listen.notifies(timeout=self.poll_interval_s, stop_after=1):
                            pass
            except psycopg.Error as exc:
                log.warning("alert_worker_db_unavailable", error=str(exc).strip()[:200], retry_in_s=delay)
                self._stop.wait(delay)
                delay = min(delay * 2, 10)
