"""Evaluate one patient's new committed readings under that patient's lock; the rules stay pure.

Flow per patient: thresholds on each new reading; a "no data" alert on a measurement closes when it arrives;
then every trend rule that reads one of the new measurements runs over the history it declares, as of the
newest reading. A backlog of late readings (a gateway that was offline) is judged once per day it covers and
collapsed to the single worst finding per rule and measurement, marked late: one alert, not a burst.
"""

from __future__ import annotations

import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import psycopg
import structlog

from alerts import consolidate, late, metrics, priority, store
from alerts.decide import decide
from alerts.history import DEFAULT_TZ, Context, History
from alerts.model import SEVERITY_RANK, Action, AutoResolve, Finding, LiveAlert, Open, Reading, Update
from alerts.rules import RuleSpec, threshold
from alerts.rules.registry import applicable
from alerts.thresholds import bands_for

log = structlog.get_logger(__name__)

# While admitted, away or paused, readings are stored but raise nothing.
_SUPPRESSED = {"admitted", "away", "paused"}
NO_DATA_RULE = "no_data"

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class _Writer:
    """Applies one patient's actions in order; Opens go through consolidation against the live alerts as they
    are at that moment, so a finding on a reading another alert already holds folds into it."""

    def __init__(self, conn: psycopg.Connection, patient_id: int, now: datetime) -> None:
        self.conn, self.patient_id, self.now = conn, patient_id, now
        self._level: int | None = None
        self.written = 0

    def level(self) -> int:
        if self._level is None:
            self._level = priority.of(store.risk_factors(self.conn, self.patient_id), self.now)
        return self._level

    def write(self, actions: Sequence[Action], live: Sequence[LiveAlert] | None = None) -> None:
        labels = {a.id: (a.rule, a.severity) for a in live or ()}
        for action in actions:
            store.apply(self.conn, self.patient_id, action, self.level())
            metrics.record(action, labels)
            self.written += 1

    def open(self, opens: list[Action]) -> None:
        if opens:
            live = store.live_alerts(self.conn, self.patient_id)
            self.write(consolidate.plan(opens, live), live)


def _thresholds(conn: psycopg.Connection, w: _Writer, conditions: tuple[str, ...], new: list[Reading]) -> None:
    """Applied reading by reading: a second out-of-range reading of a batch updates the alert the first opened."""
    by_code: dict[str, list[Reading]] = defaultdict(list)
    for r in new:
        by_code[r.code].append(r)
    overrides = store.threshold_overrides(conn, w.patient_id) if by_code else {}
    for code, rs in by_code.items():
        bands = overrides.get(code) or bands_for(conditions, code)
        if bands is None:
            continue
        stale = [f for r in rs if r.late and (f := threshold.find(r, bands)) is not None]
        backlog = late.worst(stale)
        todo = [backlog.reading] if backlog else []
        todo += [r for r in rs if not r.late]
        for r in todo:
            live = store.live_alert(conn, w.patient_id, threshold.RULE, code)
            action = threshold.evaluate(r, bands, live)
            if action is None:
                continue
            if isinstance(action, Open):
                if not threshold.confirmed(action.finding, store.previous(conn, w.patient_id, r), bands):
                    continue
                quiet = store.recently_resolved(conn, w.patient_id, threshold.RULE, code, w.now - threshold.REARM)
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


def _trends(conn: psycopg.Connection, patient_id: int, conditions: tuple[str, ...], new: list[Reading],
            now: datetime, live_all: list[LiveAlert]) -> list[Action]:
    specs = applicable(conditions, {r.code for r in new})
    if not specs:
        return []
    codes = {c for s in specs for c in s.codes}
    since = min(r.measured_at for r in new) - max(s.window for s in specs) - timedelta(days=1)
    hist = History.of(store.history(conn, patient_id, codes, since))
    actions: list[Action] = []
    for spec in specs:
        found = findings_for(spec, conditions, hist, new, str(patient_id))
        newest_reading = max((r for c in spec.codes for r in hist.get(c)[-1:]), key=lambda r: r.measured_at,
                             default=None)
        live = {a.code: a for a in live_all if a.rule == spec.name}
        for f in found:
            own = live.pop(f.code, None)
            quiet = None if own else store.recently_resolved(conn, patient_id, spec.name, f.code, now - spec.rearm)
            action = decide(f, own, quiet=quiet)
            if action is not None:
                actions.append(action)
        for gone in live.values():  # the rule no longer finds what these alerts are about
            action = decide(None, gone, newest=newest_reading, auto_resolve=spec.auto_resolve)
            if action is not None:
                actions.append(action)
    return actions


def evaluate_patient(conn: psycopg.Connection, patient_id: int, observation_ids: list[uuid.UUID],
                     clock: Clock = _utcnow, trends: bool = True) -> int:
    """Apply every rule to the new readings (the threshold rule only when ``trends`` is False, a benchmark
    baseline); returns how many alert actions were written."""
    store.lock_patient(conn, patient_id)
    ctx = store.patient(conn, patient_id)
    if ctx is None or ctx.status in _SUPPRESSED:
        return 0
    new = store.readings(conn, observation_ids)
    if not new:
        return 0
    w = _Writer(conn, patient_id, clock())
    live = store.live_alerts(conn, patient_id)
    trend = _trends(conn, patient_id, ctx.conditions, new, w.now, live) if trends else []
    # Updates of live alerts first, so their new evidence is there when the Opens are consolidated.
    w.write([*(a for a in trend if not isinstance(a, Open)), *_close_no_data(live, new)], live)
    _thresholds(conn, w, ctx.conditions, new)
    w.open([a for a in trend if isinstance(a, Open)])
    return w.written


def run_once(conn: psycopg.Connection, limit: int = 1000, clock: Clock = _utcnow, trends: bool = True) -> int:
    """Claim queued readings and evaluate them in one transaction; returns readings processed."""
    started = time.perf_counter()
    with conn.transaction():
        claimed = store.claim(conn, limit)
        for patient_id in sorted(claimed):  # a fixed order keeps two workers from deadlocking
            evaluate_patient(conn, patient_id, claimed[patient_id], clock, trends)
    n = sum(len(v) for v in claimed.values())
    if n:
        metrics.EVALUATION_SECONDS.observe(time.perf_counter() - started)
        metrics.READINGS.inc(n)
    return n
