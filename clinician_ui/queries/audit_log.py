"""Reading the audit log, for the organisation's admins: what its users did, and who touched its patients."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import psycopg

from clinician_ui.i18n import TZ
from clinician_ui.queries.access import VISIBLE
from clinician_ui.queries.rows import fetch_all

LIMIT = 500
_SCOPE = f"""(u.organisation_id = %(org)s OR EXISTS (
    SELECT 1 FROM patients p WHERE p.id = l.patient_id AND {VISIBLE}))"""


async def entries(conn: psycopg.AsyncConnection, org: int | None, *, patient_id: int | None, user_id: int | None,
                  start: date, end: date) -> list[dict[str, Any]]:
    """Newest first, between local midnights of `start` and the day after `end`."""
    return await fetch_all(
        conn,
        f"""SELECT l.id, l.at, l.action, l.patient_id, l.detail, l.user_id, u.display_name AS user_name,
                   u.role AS user_role, pt.display_name AS patient_name
            FROM audit_log l
            LEFT JOIN users u ON u.id = l.user_id
            LEFT JOIN patients pt ON pt.id = l.patient_id
            WHERE {_SCOPE} AND l.at >= %(start)s AND l.at < %(end)s
              AND (%(pid)s::int IS NULL OR l.patient_id = %(pid)s)
              AND (%(uid)s::int IS NULL OR l.user_id = %(uid)s)
            ORDER BY l.at DESC, l.id DESC LIMIT %(limit)s""",
        {"org": org, "pid": patient_id, "uid": user_id, "limit": LIMIT,
         "start": datetime.combine(start, time(), TZ), "end": datetime.combine(end + timedelta(days=1), time(), TZ)},
    )


async def users(conn: psycopg.AsyncConnection, org: int | None) -> list[dict[str, Any]]:
    return await fetch_all(
        conn, "SELECT id, display_name, role FROM users WHERE organisation_id = %s ORDER BY display_name",
              (org,))


async def patients(conn: psycopg.AsyncConnection, org: int | None) -> list[dict[str, Any]]:
    return await fetch_all(
        conn, f"SELECT p.id, p.display_name FROM patients p WHERE {VISIBLE} ORDER BY p.display_name",
              {"org": org})
