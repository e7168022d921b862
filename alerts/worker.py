"""The alert worker: woken by NOTIFY from ingest, with a periodic sweep so nothing waits for long.

The sweep escalates red alerts nobody acknowledged, wakes expired snoozes and raises "no data" alerts for
overdue planned measurements — things that happen because time passes, not because a reading arrived.
"""

from __future__ import annotations

import threading
import time

import psycopg
import structlog

from alerts import lifecycle_store, metrics, missing, store
from alerts.engine import run_once
from alerts.lifecycle import EscalationPolicy

log = structlog.get_logger(__name__)


def sweep_once(conn: psycopg.Connection, policy: EscalationPolicy | None = None) -> dict[str, int]:
    """One periodic sweep in its own transaction."""
    with conn.transaction():
        counts = lifecycle_store.sweep(conn, policy)
        counts["no_data"] = missing.sweep(conn)
    return counts


class AlertWorker:
    def __init__(self, database_url: str, poll_interval_s: float = 1.0, sweep_interval_s: float = 60.0,
                 policy: EscalationPolicy | None = None, batch_size: int = 1000, trends: bool = True) -> None:
        self.database_url = database_url
        self.poll_interval_s = poll_interval_s
        self.sweep_interval_s = sweep_interval_s
        self.policy = policy
        self.batch_size = batch_size
        self.trends = trends
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

    def _run(self) -> None:
        delay = 0.5
        next_sweep = next_depth = 0.0
        while not self._stop.is_set():
            try:
                with psycopg.connect(self.database_url, autocommit=True) as listen, \
                        psycopg.connect(self.database_url) as work:
                    listen.execute("LISTEN nearcare_observations")
                    delay = 0.5
                    while not self._stop.is_set():
                        while (n := run_once(work, self.batch_size, trends=self.trends)) > 0:
                            self.processed += n
                            log.debug("alerts_evaluated", readings=n)
                        if time.monotonic() >= next_depth:
                            metrics.QUEUE_DEPTH.set(store.queue_depth(work))
                            next_depth = time.monotonic() + 1.0
                        if time.monotonic() >= next_sweep:
                            counts = sweep_once(work, self.policy)
                            self.sweeps += 1
                            next_sweep = time.monotonic() + self.sweep_interval_s
                            if any(counts.values()):
                                log.info("alert_sweep", **counts)
                        for _ in listen.notifies(timeout=self.poll_interval_s, stop_after=1):
                            pass
            except psycopg.Error as exc:
                log.warning("alert_worker_db_unavailable", error=str(exc).strip()[:200], retry_in_s=delay)
                self._stop.wait(delay)
                delay = min(delay * 2, 10)
