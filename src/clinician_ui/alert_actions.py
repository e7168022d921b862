"""Acknowledging and resolving alerts: the change, its audit row and the notification, in one transaction."""

from __future__ import annotations

from typing import Any, Literal

import psycopg

from clinician_ui.accounts import User
from clinician_ui.errors import Conflict, NotFound
from clinician_ui.queries import alerts as q
from clinician_ui.queries.audit import record

Outcome = Literal["contacted_patient", "home_visit", "gp_informed", "admitted", "false_alarm"]
OUTCOMES: tuple[str, ...] = ("contacted_patient", "home_visit", "gp_informed", "admitted", "false_alarm")


def _clean(note: str | None) -> str | None:
    note = (note or "").strip()
    return note[:2000] or None


async def _not_changed(conn: psycopg.AsyncConnection, user: User, alert_id: int) -> Exception:
    return Conflict() if await q.get_alert(conn, user.organisation_id, alert_id) else NotFound()


async def acknowledge(conn: psycopg.AsyncConnection, user: User, alert_id: int,
                      note: str | None) -> dict[str, Any]:
    note = _clean(note)
    patient_id = await q.acknowledge(conn, user.organisation_id, alert_id, user.id, note)
    if patient_id is None:
        raise await _not_changed(conn, user, alert_id)
    await record(conn, user.id, "alert.acknowledge", patient_id, {"alert_id": alert_id, "note": note})
    await q.notify(conn, alert_id, patient_id, "acknowledged")
    row = await q.get_alert(conn, user.organisation_id, alert_id)
    assert row is not None
    return row


async def resolve(conn: psycopg.AsyncConnection, user: User, alert_id: int, outcome: str,
                  note: str | None) -> dict[str, Any]:
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    note = _clean(note)
    patient_id = await q.resolve(conn, user.organisation_id, alert_id, user.id, outcome, note)
    if patient_id is None:
        raise await _not_changed(conn, user, alert_id)
    await record(conn, user.id, "alert.resolve", patient_id,
                 {"alert_id": alert_id, "outcome": outcome, "note": note})
    await q.notify(conn, alert_id, patient_id, "resolved")
    row = await q.get_alert(conn, user.organisation_id, alert_id)
    assert row is not None
    return row
