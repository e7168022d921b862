"""The alert core's lifecycle columns, read and written from the web app's async connection.

The rules of the state machine stay in alerts.lifecycle (pure); this only loads and saves its state."""

from __future__ import annotations

import dataclasses
from datetime import datetime

import psycopg

from alerts.lifecycle import AlertState

_FIELDS = tuple(f.name for f in dataclasses.fields(AlertState))


async def load_state(conn: psycopg.AsyncConnection, alert_id: int) -> AlertState | None:
    """The alert's state, locked for this transaction (the caller has checked visibility)."""
    cur = await conn.execute(f"SELECT {', '.join(_FIELDS)} FROM alerts WHERE id = %s FOR UPDATE", (alert_id,))
    row = await cur.fetchone()
    return AlertState(*row) if row else None


async def save_snooze(conn: psycopg.AsyncConnection, alert_id: int, state: AlertState) -> None:
    await conn.execute(
        "UPDATE alerts SET snoozed_until = %s, snooze_reason = %s, snoozed_by = %s, updated_at = now()"
        " WHERE id = %s",
        (state.snoozed_until, state.snooze_reason, state.snoozed_by, alert_id),
    )


async def hand_to_gp(conn: psycopg.AsyncConnection, alert_id: int, gp_org_id: int, at: datetime) -> None:
    """A clinician's escalation: the alert core's 'who is responsible now' says the GP practice."""
    await conn.execute(
        "UPDATE alerts SET responsible_role = 'gp', responsible_org_id = %s, escalated_at = %s,"
        " updated_at = now() WHERE id = %s",
        (gp_org_id, at, alert_id),
    )
