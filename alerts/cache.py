"""A worker's in-memory history of the patients it evaluates, so a batch reads its new readings and not 95 days.

Several workers claim from one queue, so a patient's readings may have been evaluated by another worker since
this one last saw the patient. Every evaluation bumps the patient's sequence number in ``alert_evaluations``
inside its transaction, under the patient's lock, and logs the observation ids it took (``store.bump_evaluations``;
the last few evaluations are kept). An entry is used as it is only when the number before this batch's bump is
the one this worker's own last evaluation committed — nobody else evaluated the patient in between. Otherwise
the readings of the evaluations in between are read by id when the log still holds all of them, and the
patient's whole history is read again when it does not; a few queries per batch either way.
An entry so holds what the database held for the patient when it was read, plus every reading evaluated since
(this worker's batches, and other workers' through the log), late ones in time order.

Readings must reach the alert core through the queue (ingest and manual entry do): an observation written
without a queue row is not seen by a warm entry until the patient's history is read again.
"""

from __future__ import annotations

import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg

from alerts import store
from alerts.history import GrowingHistory
from alerts.model import Reading
from alerts.rules.registry import TREND_RULES

# Every measurement a trend rule reads, over the longest window plus the day the engine adds: whichever rules
# apply to the patient today (programmes change), the entry has what they read.
CODES = frozenset(c for s in TREND_RULES for c in s.codes)
WINDOW = max(s.window for s in TREND_RULES) + timedelta(days=1)
DEFAULT_PATIENTS = 2000  # ~520 B a reading: 65 MB at the bench's 14 days, ~0.6 GB at 95 days of 6 readings a day


@dataclass
class _Entry:
    history: GrowingHistory
    since: datetime  # holds every reading of CODES measured after this
    seq: int | None  # the evaluation it reflects once committed; None while an evaluation is open


class HistoryCache:
    """Per-patient histories, least recently evaluated dropped first beyond ``max_patients``.

    Use inside the evaluation transaction: ``histories`` after the bump, ``commit`` after the transaction
    committed, ``abandon`` when it did not (the patients are then read again next time)."""

    def __init__(self, max_patients: int = DEFAULT_PATIENTS, window: timedelta = WINDOW,
                 slack: timedelta = timedelta(days=1)) -> None:
        self.max_patients = max_patients
        self.window = window  # what a batch needs before its oldest reading
        self.slack = slack  # read this much more, so entries are trimmed about once per slack, not every batch
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        self._open: dict[int, int] = {}  # patient → sequence number its open evaluation will commit
        self._warmed_to = 0  # warm() has visited active patients up to this id
        self.hits = self.misses = self.caught_up = 0  # patients per batch: as cached, read again, caught up

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, patient_id: int) -> GrowingHistory | None:
        """The history held for a patient, current or not (for inspection; evaluations use ``histories``)."""
        entry = self._entries.get(patient_id)
        return entry.history if entry is not None else None

    def histories(self, conn: psycopg.Connection, seqs: dict[int, int], new: dict[int, list[Reading]],
                  now: datetime) -> dict[int, GrowingHistory]:
        """The history of each patient with new readings, the new readings included: the cached one where it
        is still complete; caught up with the readings other workers evaluated since, where the database's log
        reaches back to this entry; else read again. A few queries for the whole batch. ``seqs`` are the
        numbers ``store.bump_evaluations`` returned for this batch."""
        stale: dict[int, datetime] = {}
        behind: dict[int, tuple[int, int]] = {}
        needs = {p: min(min(r.measured_at for r in rs), now) - self.window for p, rs in new.items()}
        for p in new:
            entry = self._entries.get(p)
            if entry is None or entry.seq is None or entry.since > needs[p]:
                stale[p] = needs[p] - self.slack
            elif entry.seq != seqs[p] - 1:
                behind[p] = (entry.seq, seqs[p] - 1)
        missed = store.evaluated_since(conn, behind) if behind else {}
        stale.update((p, needs[p] - self.slack) for p in behind.keys() - missed.keys())
        caught = _by_patient(missed, store.readings(conn, [i for ids in missed.values() for i in ids])) \
            if missed else {}
        loaded = store.histories(conn, {p: (set(CODES), since) for p, since in stale.items()}) if stale else {}
        self.misses += len(stale)
        self.caught_up += len(missed)
        self.hits += len(new) - len(stale) - len(missed)
        out: dict[int, GrowingHistory] = {}
        for p, rs in new.items():
            if p in stale:
                entry = self._entries[p] = _Entry(GrowingHistory.of(loaded.get(p, [])), stale[p], None)
            else:
                entry = self._entries[p]
                self._trim(entry, needs[p] - self.slack)
                entry.history.add(_kept(caught.get(p, []), entry.since))
            self._entries.move_to_end(p)
            entry.history.add(_kept(rs, entry.since))
            entry.seq = None
            self._open[p] = seqs[p]
            out[p] = entry.history
        for p in seqs.keys() - new.keys():  # evaluated without readings to add (suppressed): read again later
            self._entries.pop(p, None)
        return out

    def commit(self) -> None:
        """The evaluation transaction committed: the entries reflect the numbers it wrote."""
        for p, seq in self._open.items():
            entry = self._entries.get(p)
            if entry is not None:
                entry.seq = seq
        self._open.clear()
        while len(self._entries) > self.max_patients:
            self._entries.popitem(last=False)

    def abandon(self, patient_ids: Iterable[int] = ()) -> None:
        """The transaction failed or its outcome is unknown: forget what it touched."""
        for p in [*self._open, *patient_ids]:
            self._entries.pop(p, None)
        self._open.clear()

    def clear(self) -> None:
        self._entries.clear()
        self._open.clear()
        self._warmed_to = 0

    def warm(self, conn: psycopg.Connection, patients: int, now: datetime) -> int:
        """Read the histories of up to ``patients`` more active patients while the worker is idle (after a
        start, so the first readings do not each wait for a history read); returns how many, 0 once every
        active patient was visited or the cache is full. Never evicts.

        Sound like a read during an evaluation: the sequence numbers are read before the observations, so an
        evaluation committed in between makes the entry look stale, never fresh."""
        room = min(patients, self.max_patients - len(self._entries))
        if room <= 0:
            return 0
        with conn.transaction():
            ids = [int(r[0]) for r in conn.execute(
                "SELECT id FROM patients WHERE status = 'active' AND id > %s ORDER BY id LIMIT %s",
                (self._warmed_to, room)).fetchall()]
            if not ids:
                return 0
            self._warmed_to = ids[-1]
            todo = [p for p in ids if p not in self._entries]
            seqs = store.evaluations(conn, todo)
            since = now - self.window - self.slack
            loaded = store.histories(conn, {p: (set(CODES), since) for p in todo}) if todo else {}
        for p in todo:
            self._entries[p] = _Entry(GrowingHistory.of(loaded.get(p, [])), since, seqs.get(p, 0))
            self._entries.move_to_end(p, last=False)  # least recently evaluated: first to go
        return len(ids)

    def _trim(self, entry: _Entry, keep_after: datetime) -> None:
        """Drop what this batch does not need, at most about once per ``slack``; a later batch of older
        readings reads the patient again."""
        if keep_after - entry.since > self.slack:
            entry.history.drop_through(keep_after)
            entry.since = keep_after


def _by_patient(ids: dict[int, list[uuid.UUID]], readings: list[Reading]) -> dict[int, list[Reading]]:
    by_id = {r.id: r for r in readings}
    return {p: [by_id[i] for i in os if i in by_id] for p, os in ids.items()}


def _kept(readings: list[Reading], since: datetime) -> list[Reading]:
    return [r for r in readings if r.code in CODES and r.measured_at > since]
