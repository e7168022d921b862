"""Assigning a live alert to a colleague or escalating it to the patient's GP practice."""

from __future__ import annotations

from typing import Any

import psycopg

from clinician_ui.queries.access import VISIBLE
from clinician_ui.queries.rows import fetch_all, fetch_one

# Who can take an alert over: the clinicians of one's own organisation (admins handle accounts, not patients).
ASSIGNABLE_ROLES = ("nurse", "acute_nurse", "gp")


async def colleagues(conn: psycopg.AsyncConnection, org: int | None) -> list[dict[str, Any]]:
    return await fetch_all(
        conn,
        "SELECT id, display_name, role FROM users WHERE organisation_id = %s AND role = ANY(%s)"
        " ORDER BY display_name, id",
        (org, list(ASSIGNABLE_ROLES)),
    )


async def is_colleague(conn: psycopg.AsyncConnection, org: int | None, user_id: int) -> bool:
    cur = await conn.execute(
        "SELECT 1 FROM users WHERE id = %s AND organisation_id = %s AND role = ANY(%s)",
        (user_id, org, list(ASSIGNABLE_ROLES)),
    )
    return await cur.fetchone() is not None


async def live_visible(conn: psycopg.AsyncConnection, org: int | None,
                        alert_id: int) -> dict[str, Any] | None:
    return await fetch_one(
        conn,
        f"SELECT a.id, a.patient_id, a.status, p.gp_org_id FROM alerts a JOIN patients p ON p.id = a.patient_id"
        f" WHERE a.id = %(id)s AND {VISIBLE} FOR UPDATE OF a",
        {"org": org, "id": alert_id},
    )


async def set_responsible(conn: psycopg.AsyncConnection, alert_id: int, *, kind: str, user_id: int | None,
                          organisation_id: int, set_by: int, note: str | None) -> None:
    await conn.execute(
        """INSERT INTO alert_responsibility (alert_id, kind, user_id, organisation_id, set_by, note)
           VALUES (%s, %s, %s, %s, %s, %s)
           ON CONFLICT (alert_id) DO UPDATE SET kind = excluded.kind, user_id = excluded.user_id,
               organisation_id = excluded.organisation_id, set_by = excluded.set_by, set_at = now(),
               note = excluded.note""",
        (alert_id, kind, user_id, organisation_id, set_by, note),
    )
    await conn.execute("UPDATE alerts SET updated_at = now() WHERE id = %s", (alert_id,))

