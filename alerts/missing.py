"""The periodic "no data" sweep: every active patient's measurement plan against what has arrived."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import psycopg
from psycopg.types.json import Jsonb

from alerts import store
from alerts.explain import localise
from alerts.rules import no_data
from device_profiles.codes import CODES

Clock = Callable[[], datetime]


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _evidence(conn: psycopg.Connection, plan: no_data.Plan, now: datetime) -> no_data.Evidence:
    last = conn.execute("SELECT measured_at, device_id FROM observations WHERE patient_id = %s AND code = %s"
                        " ORDER BY measured_at DESC LIMIT 1", (plan.patient_id, CODES[plan.code].loinc)).fetchone()
    kit_row = conn.execute(
        "SELECT g.id, g.online, g.last_seen_at, g.status FROM kit_assignments ka JOIN gateways g"
        " ON g.id = ka.gateway_id WHERE ka.patient_id = %s AND ka.valid_from <= %s"
        " AND (ka.valid_to IS NULL OR ka.valid_to > %s) ORDER BY ka.valid_from DESC LIMIT 1",
        (plan.patient_id, now, now)).fetchone()
    kit = no_data.Kit(kit_row[0], kit_row[1], kit_row[2], kit_row[3] or {}) if kit_row else None
    return no_data.Evidence(last[0] if last else None, last[1] if last else None, kit)


def _notify(conn: psycopg.Connection, alert_id: int, patient_id: int, event: str) -> None:
    payload = json.dumps({"alert_id": alert_id, "patient_id": patient_id, "event": event})
    conn.execute("SELECT pg_notify('nearcare_alerts', %s)", (payload,))


def sweep(conn: psycopg.Connection, clock: Clock = _utcnow) -> int:
    """Open or update "no data" alerts for overdue measurements; returns alerts opened or changed."""
    now = clock()
    plans = conn.execute(
        "SELECT mp.patient_id, mp.code, mp.frequency, mp.due_by, mp.tz FROM measurement_plans mp"
        " JOIN patients p ON p.id = mp.patient_id WHERE p.status = 'active' ORDER BY mp.patient_id, mp.code"
    ).fetchall()
    changed = 0
    for patient_id, code, frequency, due_by, tz in plans:
        if code not in CODES:
            continue
        plan = no_data.Plan(patient_id, code, frequency, due_by, ZoneInfo(tz))
        store.lock_patient(conn, patient_id)
        overdue = no_data.evaluate(plan, _evidence(conn, plan, now), now)
        if overdue is None:
            continue
        live = store.live_alert(conn, patient_id, no_data.RULE, code)
        period = no_data.due_at(plan, now)
        if live is None and period and store.recently_resolved(conn, patient_id, no_data.RULE, code, period[0]):
            continue  # a clinician already dealt with this period's missing measurement
        if live is None:
            row = conn.execute(
                "INSERT INTO alerts (patient_id, rule, code, severity, observed_at, explanation)"
                " VALUES (%s, %s, %s, 'yellow', %s, %s) ON CONFLICT DO NOTHING RETURNING id",
                (patient_id, no_data.RULE, code, overdue.due_at, Jsonb(localise(overdue.explanation)))).fetchone()
            if row:
                _notify(conn, row[0], patient_id, "opened")
                changed += 1
            continue
        row = conn.execute("UPDATE alerts SET explanation = %s, updated_at = now() WHERE id = %s"
                           " AND explanation->>'cause' IS DISTINCT FROM %s RETURNING id",
                           (Jsonb(localise(overdue.explanation)), live.id, overdue.cause)).fetchone()
        if row:  # the likely cause changed (e.g. the gateway went offline since)
            _notify(conn, live.id, patient_id, "updated")
            changed += 1
    return changed
