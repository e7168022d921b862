"""Clinician actions and the escalation sweep against the database: load, run the pure transition, write, notify."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

import psycopg

from alerts.lifecycle import (
    EVENT_NAMES,
    Acknowledge,
    AlertState,
    Escalate,
    EscalationPolicy,
    Event,
    Resolve,
    Snooze,
    Unsnooze,
    escalation_due,
    transition,
)

Clock = Callable[[], datetime]

_COLUMNS = ("status", "severity", "opened_at", "acknowledged_by", "acknowledged_at", "ack_note", "resolved_by",
            "resolved_at", "outcome", "snoozed_until", "snooze_reason", "snoozed_by", "escalated_at",
            "escalation_level", "responsible_role")


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _load(conn: psycopg.Connection, alert_id: int) -> tuple[int, AlertState] | None:
    row = conn.execute(f"SELECT patient_id, {', '.join(_COLUMNS)} FROM alerts WHERE id = %s FOR UPDATE",
                       (alert_id,)).fetchone()
    if row is None:
        return None
    return row[0], AlertState(*row[1:])


def _responsible_org(conn: psycopg.Connection, patient_id: int, role: str) -> int | None:
    if role == "gp":
        row = conn.execute("SELECT gp_org_id FROM patients WHERE id = %s", (patient_id,)).fetchone()
    elif role == "acute_team":
        row = conn.execute("SELECT id FROM organisations WHERE kind = 'acute_team' ORDER BY id LIMIT 1").fetchone()
        if row is None:  # no acute team configured: the GP takes over
            row = conn.execute("SELECT gp_org_id FROM patients WHERE id = %s", (patient_id,)).fetchone()
    else:
        row = conn.execute("SELECT nursing_org_id FROM patients WHERE id = %s", (patient_id,)).fetchone()
    return int(row[0]) if row else None


def _write(conn: psycopg.Connection, alert_id: int, patient_id: int, new: AlertState, event: Event) -> None:
    sets = ", ".join(f"{c} = %s" for c in _COLUMNS[3:])
    params: list[object] = [getattr(new, c) for c in _COLUMNS[3:]]
    extra = ""
    if isinstance(event, Escalate):
        extra = ", responsible_org_id = %s"
        params.append(_responsible_org(conn, patient_id, event.to))
    conn.execute(f"UPDATE alerts SET status = %s, {sets}{extra}, updated_at = now() WHERE id = %s",
                 [new.status, *params, alert_id])
    payload = json.dumps({"alert_id": alert_id, "patient_id": patient_id, "event": EVENT_NAMES[type(event)]})
    conn.execute("SELECT pg_notify('nearcare_alerts', %s)", (payload,))


def apply_event(conn: psycopg.Connection, alert_id: int, event: Event, clock: Clock = _utcnow) -> AlertState:
    """Run one event on one alert in the caller's transaction; raises LookupError or TransitionError."""
    loaded = _load(conn, alert_id)
    if loaded is None:
        raise LookupError(f"no alert {alert_id}")
    patient_id, state = loaded
    new = transition(state, event, clock())
    _write(conn, alert_id, patient_id, new, event)
    return new


def acknowledge(conn: psycopg.Connection, alert_id: int, by: int, note: str | None = None,
                clock: Clock = _utcnow) -> AlertState:
    return apply_event(conn, alert_id, Acknowledge(by, note), clock)


def resolve(conn: psycopg.Connection, alert_id: int, by: int, outcome: str, note: str | None = None,
            clock: Clock = _utcnow) -> AlertState:
    return apply_event(conn, alert_id, Resolve(by, outcome, note), clock)


def snooze(conn: psycopg.Connection, alert_id: int, by: int, reason: str, until: datetime,
           clock: Clock = _utcnow) -> AlertState:
    return apply_event(conn, alert_id, Snooze(by, reason, until), clock)


def sweep(conn: psycopg.Connection, policy: EscalationPolicy | None = None, clock: Clock = _utcnow) -> dict[str, int]:
    """Escalate red alerts nobody acknowledged in time and wake expired snoozes; the caller commits."""
    policy = policy or EscalationPolicy()
    now = clock()
    counts = {"escalated": 0, "unsnoozed": 0}
    ids = [r[0] for r in conn.execute(
        "SELECT id FROM alerts WHERE status <> 'resolved' AND ((status = 'open' AND severity = 'red')"
        " OR snoozed_until <= %s) ORDER BY id", (now,)).fetchall()]
    for alert_id in ids:
        loaded = _load(conn, alert_id)
        if loaded is None:
            continue
        patient_id, state = loaded
        if state.snoozed_until is not None and state.snoozed_until <= now:
            _write(conn, alert_id, patient_id, transition(state, Unsnooze(), now), Unsnooze())
            counts["unsnoozed"] += 1
            continue
        due = escalation_due(state, now, policy)
        if due is not None:
            _write(conn, alert_id, patient_id, transition(state, due, now), due)
            counts["escalated"] += 1
    return counts
