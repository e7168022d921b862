"""Evaluate one patient's new committed readings under that patient's lock; the rules stay pure.

Flow per patient: thresholds on each new reading; a "no data" alert on a measurement closes when it arrives;
then every trend rule that reads one of the new measurements runs over the history it declares, as of the
newest reading. A backlog of late readings (a gateway that was offline) is judged once per day it covers and
collapsed to the single worst finding per rule and measurement, marked late: one alert, not a burst.
"""

from __future__ import annotations

import functools
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
import structlog

from alerts import consolidate, late, metrics, priority, store
from alerts.cache import HistoryCache
from alerts.decide import decide
from alerts.history import DEFAULT_TZ, Context, History
from alerts.model import SEVERITY_RANK, Action, AutoResolve, Finding, LiveAlert, Open, Reading, Severity, Update
from alerts.priority import RiskFactors
from alerts.rules import RuleSpec, threshold
from alerts.rules.registry import TREND_RULES, applicable
from alerts.store import PatientContext
from alerts.thresholds import Bands, bands_for

log = structlog.get_logger(__name__)

# While admitted, away or paused, readings are stored but raise nothing.
_SUPPRESSED = {"admitted", "away", "paused"}
NO_DATA_RULE = "no_data"

Clock = Callable[[], datetime]
# the longest quiet period after a clinician resolves an alert, over every rule
_REARM_MAX = max([threshold.REARM, *(s.rearm for s in TREND_RULES)])


_EMPTY = History()


def _utcnow() -> datetime:
    return datetime.now(UTC)


class _Writer:
    """Applies one patient's actions in order; Opens go through consolidation against the live alerts as they
    are at that moment, so a finding on a reading another alert already holds folds into it."""

    def __init__(self, conn: psycopg.Connection, patient_id: int, now: datetime,
                 live: list[LiveAlert] | None = None, risk: Callable[[], RiskFactors] | None = None,
                 resolved: list[store.Resolved] | None = None) -> None:
        self.conn, self.patient_id, self.now = conn, patient_id, now
        self._resolved = resolved  # alerts clinicians resolved, read with the batch
        self._risk = risk or (lambda: store.risk_factors(conn, patient_id))
        self._level: int | None = None
        self.written = 0
        self._live = live  # as read with the batch; stale once this writer has written

    def live_alerts(self) -> list[LiveAlert]:
        if self._live is not None and not self.written:
            return self._live
        return store.live_alerts(self.conn, self.patient_id)

    def recently_resolved(self, rule: str, code: str, since: datetime) -> Severity | None:
        if self._resolved is not None:
            return store.latest_resolved(self._resolved, rule, code, since)
        return store.recently_resolved(self.conn, self.patient_id, rule, code, since)

    def live_alert(self, rule: str, code: str) -> LiveAlert | None:
        if self._live is not None and not self.written:
            return next((a for a in self._live if a.rule == rule and a.code == code), None)
        return store.live_alert(self.conn, self.patient_id, rule, code)

    def level(self) -> int:
        if self._level is None:
            self._level = priority.of(self._risk(), self.now)
        return self._level

    def write(self, actions: Sequence[Action], live: Sequence[LiveAlert] | None = None) -> None:
        labels = {a.id: (a.rule, a.severity) for a in live or ()}
        for action in actions:
            store.apply(self.conn, self.patient_id, action, self.level())
            metrics.record(action, labels)
            self.written += 1

    def open(self, opens: list[Action]) -> None:
        if opens:
            live = self.live_alerts()
            self.write(consolidate.plan(opens, live), live)


def _thresholds(conn: psycopg.Connection, w: _Writer, conditions: tuple[str, ...], new: list[Reading],
                overrides: dict[str, Bands]) -> None:
    """Applied reading by reading: a second out-of-range reading of a batch updates the alert the first opened."""
    by_code: dict[str, list[Reading]] = defaultdict(list)
    for r in new:
        by_code[r.code].append(r)
    # A cuff's systolic is seen before its diastolic, so it heads the one alert of that reading.
    for code, rs in sorted(by_code.items(), key=lambda item: consolidate.code_rank(item[0])):
        bands = overrides.get(code) or bands_for(conditions, code)
        if bands is None:
            continue
        stale = [f for r in rs if r.late and (f := threshold.find(r, bands)) is not None]
        backlog = late.worst(stale)
        todo = [backlog.reading] if backlog else []
        todo += [r for r in rs if not r.late]
        for r in todo:
            live = w.live_alert(threshold.RULE, code)
            action = threshold.evaluate(r, bands, live)
            if action is None:
                continue
            if isinstance(action, Open):
                if not threshold.confirmed(action.finding, store.previous(conn, w.patient_id, r), bands):
                    continue
                quiet = w.recently_resolved(threshold.RULE, code, w.now - threshold.REARM)
                if quiet is not None and SEVERITY_RANK[action.finding.severity] <= SEVERITY_RANK[quiet]:
                    continue
                w.open([Open(late.mark_late(action.finding))])
                continue
            if isinstance(action, Update):
                action = Update(action.alert_id, late.mark_late(action.finding), action.severity)
            w.write([action], [live] if live else None)


def _close_no_data(live: list[LiveAlert], new: list[Reading]) -> list[Action]:
    actions: list[Action] = []
    for alert in live:
        arrived = [r for r in new if r.code == alert.code]
        if alert.rule == NO_DATA_RULE and arrived:
            actions.append(AutoResolve(alert.id, max(arrived, key=lambda r: r.measured_at)))
    return actions


def findings_for(spec: RuleSpec, conditions: tuple[str, ...], hist: History, new: list[Reading],
                 key: str = "") -> list[Finding]:
    """The rule's findings for a batch: as of the newest reading, plus the worst of any late backlog,
    one per measurement."""
    mine = [r for r in new if r.code in spec.codes]
    newest = max((r.measured_at for c in spec.codes for r in hist.get(c)[-1:]), default=None)
    if not mine or newest is None:
        return []
    current = spec.evaluate(Context(conditions, newest, hist, DEFAULT_TZ, key))
    backlog_days: dict[object, datetime] = {}
    for r in mine:
        if r.late:
            day = r.measured_at.astimezone(DEFAULT_TZ).date()
            backlog_days[day] = max(backlog_days.get(day, r.measured_at), r.measured_at)
    stale = [f for at in backlog_days.values() if at != newest
             for f in spec.evaluate(Context(conditions, at, hist, DEFAULT_TZ, key))]
    by_code: dict[str, list[Finding]] = defaultdict(list)
    for f in [*current, *stale]:
        by_code[f.code].append(f)
    out = []
    for fs in by_code.values():
        chosen = fs[0] if fs[0] in current and not backlog_days else late.worst(fs)
        assert chosen is not None
        out.append(late.mark_late(chosen))
    return out


@functools.lru_cache(maxsize=1024)
def _applicable(conditions: tuple[str, ...], codes: frozenset[str]) -> tuple[RuleSpec, ...]:
    """``registry.applicable``, asked once per programme mix and set of new measurements."""
    return tuple(applicable(conditions, set(codes)))


def _specs(conditions: tuple[str, ...], new: list[Reading]) -> tuple[RuleSpec, ...]:
    return _applicable(conditions, frozenset(r.code for r in new))


def _history_wanted(conditions: tuple[str, ...], new: list[Reading]) -> tuple[set[str], datetime] | None:
    """The measurements and the start of the history the applicable trend rules read (None: no rule applies)."""
    specs = _specs(conditions, new)
    if not specs:
        return None
    codes = {c for s in specs for c in s.codes}
    return codes, min(r.measured_at for r in new) - max(s.window for s in specs) - timedelta(days=1)


def _trends(w: _Writer, patient_id: int, conditions: tuple[str, ...], new: list[Reading],
            now: datetime, live_all: list[LiveAlert], hist: History) -> list[Action]:
    specs = _specs(conditions, new)
    if not specs:
        return []
    actions: list[Action] = []
    for spec in specs:
        found = findings_for(spec, conditions, hist, new, str(patient_id))
        newest_reading = max((r for c in spec.codes for r in hist.get(c)[-1:]), key=lambda r: r.measured_at,
                             default=None)
        live = {a.code: a for a in live_all if a.rule == spec.name}
        for f in found:
            own = live.pop(f.code, None)
            quiet = None if own else w.recently_resolved(spec.name, f.code, now - spec.rearm)
            action = decide(f, own, quiet=quiet)
            if action is not None:
                actions.append(action)
        for gone in live.values():  # the rule no longer finds what these alerts are about
            action = decide(None, gone, newest=newest_reading, auto_resolve=spec.auto_resolve)
            if action is not None:
                actions.append(action)
    return actions


@dataclass
class Batch:
    """What the evaluation of one claim reads, for every claimed patient at once (a handful of queries per
    batch rather than per patient); taken after the patients' locks."""

    patients: dict[int, PatientContext]
    readings: dict[int, list[Reading]]
    live: dict[int, list[LiveAlert]]
    overrides: dict[int, dict[str, Bands]]
    history: dict[int, History]
    resolved: dict[int, list[store.Resolved]]
    _risk: dict[int, RiskFactors] | None = None

    def risk_factors(self, conn: psycopg.Connection, patient_id: int) -> RiskFactors:
        """Read for every patient of the batch the first time a patient's alert is written."""
        if self._risk is None:
            self._risk = store.risk_factors_of(conn, list(self.readings))
        return self._risk.get(patient_id) or store.risk_factors(conn, patient_id)

    @staticmethod
    def load(conn: psycopg.Connection, claimed: dict[int, list[uuid.UUID]], trends: bool = True,
             clock: Clock = _utcnow, cache: HistoryCache | None = None) -> Batch:
        ids = list(claimed)
        ctxs = store.patients(conn, ids)
        # Every evaluation counts, suppressed patients' too: their readings are consumed here.
        seqs = store.bump_evaluations(conn, {p: os for p, os in claimed.items() if p in ctxs})
        active = [p for p in ids if p in ctxs and ctxs[p].status not in _SUPPRESSED]
        by_id = {r.id: r for r in store.readings(conn, [o for p in active for o in claimed[p]])}
        readings: dict[int, list[Reading]] = {}
        for p in active:
            rs = [by_id[o] for o in dict.fromkeys(claimed[p]) if o in by_id]
            if rs:
                readings[p] = sorted(rs, key=lambda r: r.measured_at)
        todo = list(readings)
        return Batch(ctxs, readings, store.live_alerts_of(conn, todo) if todo else {},
                     store.threshold_overrides_of(conn, todo) if todo else {},
                     _histories(conn, ctxs, readings, seqs, trends, clock, cache),
                     store.resolved_since(conn, todo, clock() - _REARM_MAX) if todo else {})


def _histories(conn: psycopg.Connection, ctxs: dict[int, PatientContext], readings: dict[int, list[Reading]],
               seqs: dict[int, int], trends: bool, clock: Clock, cache: HistoryCache | None) -> dict[int, History]:
    """The trend rules' history per patient: from the worker's cache, or read for this batch alone."""
    if not trends:
        return {}
    if cache is not None:
        return dict(cache.histories(conn, seqs, readings, clock()))
    wanted = {p: w for p, rs in readings.items() if (w := _history_wanted(ctxs[p].conditions, rs)) is not None}
    return {p: History.of(rs) for p, rs in store.histories(conn, wanted).items()}


def evaluate_patient(conn: psycopg.Connection, patient_id: int, observation_ids: list[uuid.UUID],
                     clock: Clock = _utcnow, trends: bool = True, batch: Batch | None = None) -> int:
    """Apply every rule to the new readings (the threshold rule only when ``trends`` is False, a benchmark
    baseline); returns how many alert actions were written. Without ``batch`` the patient is locked and read
    here; with it, the caller holds the lock and has read the batch."""
    if batch is None:
        store.lock_patient(conn, patient_id)
        batch = Batch.load(conn, {patient_id: observation_ids}, trends, clock)
    ctx = batch.patients.get(patient_id)
    if ctx is None or ctx.status in _SUPPRESSED:
        return 0
    new = batch.readings.get(patient_id)
    if not new:
        return 0
    live = batch.live.get(patient_id, [])
    loaded = batch
    w = _Writer(conn, patient_id, clock(), live, lambda: loaded.risk_factors(conn, patient_id),
                batch.resolved.get(patient_id))
    trend = _trends(w, patient_id, ctx.conditions, new, w.now, live, batch.history.get(patient_id, _EMPTY)) \
        if trends else []
    # Updates of live alerts first, so their new evidence is there when the Opens are consolidated.
    w.write([*(a for a in trend if not isinstance(a, Open)), *_close_no_data(live, new)], live)
    _thresholds(conn, w, ctx.conditions, new, batch.overrides.get(patient_id, {}))
    w.open([a for a in trend if isinstance(a, Open)])
    return w.written


def run_once(conn: psycopg.Connection, limit: int = 1000, clock: Clock = _utcnow, trends: bool = True,
             cache: HistoryCache | None = None) -> int:
    """Claim queued readings and evaluate them in one transaction; returns readings processed. With ``cache``
    (one per worker), patients' histories are kept between calls instead of read every batch."""
    started = time.perf_counter()
    claimed: dict[int, list[uuid.UUID]] = {}
    if cache is not None and conn.info.transaction_status != psycopg.pq.TransactionStatus.IDLE:
        cache = None  # the caller's transaction decides whether this commits: evaluate without the cache
    try:
        with conn.transaction():
            claimed = store.claim(conn, limit)
            if claimed:
                store.lock_patients(conn, list(claimed))  # in id order: keeps two workers from deadlocking
                batch = Batch.load(conn, claimed, trends, clock, cache)
                for patient_id in sorted(claimed):
                    evaluate_patient(conn, patient_id, claimed[patient_id], clock, trends, batch)
    except BaseException:
        if cache is not None:
            cache.abandon(claimed)
        raise
    if cache is not None:
        cache.commit()
    n = sum(len(v) for v in claimed.values())
    if n:
        metrics.EVALUATION_SECONDS.observe(time.perf_counter() - started)
        metrics.READINGS.inc(n)
    return n
