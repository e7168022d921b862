"""Store-and-forward: readings wait in SQLite (WAL, fsync on commit) until the broker's PUBACK.

A reading is deleted only after PUBACK, so a power cut at any point loses nothing; a reading sent twice
carries the same observation id and the database keeps one.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Entry:
    seq: int
    obs_id: str
    payload: str  # one WireObservation as JSON


class Outbox:
    def __init__(self, path: Path, max_rows: int = 500_000) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.max_rows = max_rows
        self.evicted = 0
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")  # fsync on every commit: survives a power cut
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS outbox ("
            " seq INTEGER PRIMARY KEY AUTOINCREMENT, obs_id TEXT NOT NULL UNIQUE, payload TEXT NOT NULL,"
            " created_at REAL NOT NULL DEFAULT (julianday('now')))"
        )
        self._db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")

    def put(self, items: Iterable[tuple[str, str]]) -> int:
        """Add (obs_id, payload) pairs; an id already waiting is ignored. Returns how many were new."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                before = self._db.total_changes
                self._db.executemany("INSERT OR IGNORE INTO outbox (obs_id, payload) VALUES (?, ?)", items)
                added = self._db.total_changes - before
                self._evict_over_cap()
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return added

    def _evict_over_cap(self) -> None:
        # Over the cap the oldest readings go first; counted and logged, never silent.
        (depth,) = self._db.execute("SELECT count(*) FROM outbox").fetchone()
        excess = depth - self.max_rows
        if excess > 0:
            self._db.execute("DELETE FROM outbox WHERE seq IN (SELECT seq FROM outbox ORDER BY seq LIMIT ?)",
                             (excess,))
            self.evicted += excess
            log.warning("outbox_evicted", readings=excess, cap=self.max_rows, evicted_total=self.evicted)

    def oldest(self, limit: int, after_seq: int = 0) -> list[Entry]:
        with self._lock:
            rows = self._db.execute(
                "SELECT seq, obs_id, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?", (after_seq, limit)
            ).fetchall()
        return [Entry(*r) for r in rows]

    def delete(self, seqs: Sequence[int]) -> None:
        if not seqs:
            return
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for s in seqs])
            self._db.execute("COMMIT")

    def depth(self) -> int:
        with self._lock:
            (n,) = self._db.execute("SELECT count(*) FROM outbox").fetchone()
        return int(n)

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute("INSERT INTO meta (key, value) VALUES (?, ?)"
                             " ON CONFLICT (key) DO UPDATE SET value = excluded.value", (key, value))

    def close(self) -> None:
        with self._lock:
            self._db.close()
