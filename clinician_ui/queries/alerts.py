"""Reading and changing alerts, always within the user's organisation."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg

from clinician_ui.queries.access import VISIBLE
from clinician_ui.queries.rows import fetch_all, fetch_one

CHANNEL = "nearcare_alerts"
LIVE = ("open", "acknowledged")
# Red and yellow are the nurse's queue; 'review' findings (slow trends) go to the GP's rounds.
NURSE_SEVERITIES = ("red", "yellow")

_BASE = """
SELECT a.id, a.patient_id, p.display_name AS patient_name, a.rule, a.code, a.severity, a.status,
       a.opened_at, a.updated_at, a.observed_at, a.value, a.explanation,
       a.acknowledged_at, a.ack_note, ack.display_name AS acknowledged_by_name,
       a.resolved_at, a.outcome, p.nursing_org_id, p.gp_org_id,
       r.kind AS responsible_kind, r.user_id AS responsible_user_id, ru.display_name AS responsible_name,
       ro.name AS responsible_org_name, rb.display_name AS responsible_set_by_name,
       r.set_at AS responsible_since, r.note AS responsible_note,
       a.snoozed_until, a.snooze_reason, a.responsible_role, a.escalation_level, a.escalated_at,
       rorg.name AS core_responsible_org_name
FROM alerts a
JOIN patients p ON p.id = a.patient_id
LEFT JOIN users ack ON ack.id = a.acknowledged_by
LEFT JOIN alert_responsibility r ON r.alert_id = a.id
LEFT JOIN users ru ON ru.id = r.user_id
LEFT JOIN users rb ON rb.id = r.set_by
LEFT JOIN organisations ro ON ro.id = r.organisation_id
LEFT JOIN organisations rorg ON rorg.id = a.responsible_org_id
"""
_SELECT = _BASE + f" WHERE {VISIBLE}"
# Severity first; within it, patients at higher risk (alerts.priority, set by the alert core), then the oldest.
_ORDER = " ORDER BY (a.severity = 'red') DESC, a.priority DESC, a.opened_at, a.id"

# Columns that stay server-side: organisation ids are only used for routing pushes.
_PRIVATE = ("nursing_org_id", "gp_org_id")


def to_json(row: dict[str, Any]) -> dict[str, Any]:
    """The public shape of one alert, as the API and the websocket send it."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key in _PRIVATE:
            continue
        out[key] = value.isoformat() if isinstance(value, datetime) else value
    return out


async def list_alerts(conn: psycopg.AsyncConnection, org: int | None, statuses: Sequence[str] = LIVE,
                      limit: int = 500, severities: Sequence[str] = NURSE_SEVERITIES) -> list[dict[str, Any]]:
    return await fetch_all(
        conn, _SELECT + " AND a.status = ANY(%(statuses)s) AND a.severity = ANY(%(sev)s)" + _ORDER
              + " LIMIT %(limit)s",
              {"org": org, "statuses": list(statuses), "sev": list(severities), "limit": limit})


async def patient_alerts(conn: psycopg.AsyncConnection, org: int | None, patient_id: int,
                         limit: int = 50) -> list[dict[str, Any]]:
    """Live alerts first (worst first), then the most recently closed ones."""
    return await fetch_all(
        conn,
        _SELECT + " AND a.patient_id = %(pid)s ORDER BY (a.status <> 'resolved') DESC,"
        " CASE WHEN a.status <> 'resolved' THEN (a.severity = 'red') END DESC NULLS LAST,"
        " coalesce(a.resolved_at, a.opened_at) DESC, a.id DESC LIMIT %(limit)s",
        {"org": org, "pid": patient_id, "limit": limit},
    )


async def get_alert(conn: psycopg.AsyncConnection, org: int | None, alert_id: int) -> dict[str, Any] | None:
    return await fetch_one(
        conn, _SELECT + " AND a.id = %(id)s", {"org": org, "id": alert_id})


async def get_alert_unscoped(conn: psycopg.AsyncConnection, alert_id: int) -> dict[str, Any] | None:
    """For routing a notification to the right organisations; never returned to a user as is."""
    return await fetch_one(
        conn, _BASE + " WHERE a.id = %(id)s", {"id": alert_id})


async def acknowledge(conn: psycopg.AsyncConnection, org: int | None, alert_id: int, user_id: int,
                      note: str | None) -> int | None:
    """Open → acknowledged; the patient id, or None when the alert is not open or not visible."""
    cur = await conn.execute(
        f"""UPDATE alerts a SET status = 'acknowledged', acknowledged_by = %(uid)s, acknowledged_at = now(),
                   ack_note = %(note)s, updated_at = now()
            FROM patients p
            WHERE a.id = %(id)s AND p.id = a.patient_id AND {VISIBLE} AND a.status = 'open'
            RETURNING a.patient_id""",
        {"org": org, "id": alert_id, "uid": user_id, "note": note},
    )
    row = await cur.fetchone()
    return int(row[0]) if row else None


async def resolve(conn: psycopg.AsyncConnection, org: int | None, alert_id: int, user_id: int,
                  outcome: str, note: str | None) -> int | None:
    """Open or acknowledged → resolved; a note given here is kept with an earlier one."""
    cur = await conn.execute(
        f"""UPDATE alerts a SET status = 'resolved', resolved_by = %(uid)s, resolved_at = now(),
                   outcome = %(outcome)s, updated_at = now(),
                   acknowledged_by = coalesce(a.acknowledged_by, %(uid)s),
                   acknowledged_at = coalesce(a.acknowledged_at, now()),
                   ack_note = CASE WHEN %(note)s::text IS NULL THEN a.ack_note
                                   WHEN a.ack_note IS NULL THEN %(note)s
                                   ELSE a.ack_note || E'\\n' || %(note)s END
            FROM patients p
            WHERE a.id = %(id)s AND p.id = a.patient_id AND {VISIBLE} AND a.status <> 'resolved'
            RETURNING a.patient_id""",
        {"org": org, "id": alert_id, "uid": user_id, "outcome": outcome, "note": note},
    )
    row = await cur.fetchone()
    return int(row[0]) if row else None


async def notify(conn: psycopg.AsyncConnection, alert_id: int, patient_id: int, event: str) -> None:
    """Delivered to listeners when the surrounding transaction commits."""
    payload = json.dumps({"alert_id": alert_id, "patient_id": patient_id, "event": event})
    await conn.execute("SELECT pg_notify(%s, %s)", (CHANNEL, payload))
