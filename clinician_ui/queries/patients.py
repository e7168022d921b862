"""Patients and their observations, within the user's organisation."""

from __future__ import annotations

from typing import Any

import psycopg

from clinician_ui.queries.access import VISIBLE
from clinician_ui.queries.rows import fetch_all, fetch_one

_SUMMARY = f"""
SELECT p.id, p.display_name, p.birth_year, p.conditions, p.status, p.nursing_org_id, p.gp_org_id,
       coalesce(al.open_red, 0) AS open_red, coalesce(al.open_yellow, 0) AS open_yellow,
       coalesce(al.open_red, 0) + coalesce(al.open_yellow, 0) AS open_alerts,
       obs.latest_reading_at
FROM patients p
LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE a.severity = 'red') AS open_red,
           count(*) FILTER (WHERE a.severity = 'yellow') AS open_yellow
    FROM alerts a WHERE a.patient_id = p.id AND a.status <> 'resolved'
) al ON true
LEFT JOIN LATERAL (
    SELECT max(o.measured_at) AS latest_reading_at FROM observations o WHERE o.patient_id = p.id
) obs ON true
WHERE {VISIBLE}
"""


async def list_patients(conn: psycopg.AsyncConnection, org: int | None) -> list[dict[str, Any]]:
    """Worst first: patients with red alerts, then yellow, then by name."""
    return await fetch_all(
        conn, _SUMMARY + " ORDER BY open_red DESC, open_yellow DESC, p.display_name, p.id",
              {"org": org})


async def get_patient(conn: psycopg.AsyncConnection, org: int | None,
                      patient_id: int) -> dict[str, Any] | None:
    return await fetch_one(
        conn, _SUMMARY + " AND p.id = %(pid)s", {"org": org, "pid": patient_id})


async def observations(conn: psycopg.AsyncConnection, patient_id: int, days: int,
                       code: str | None = None) -> list[dict[str, Any]]:
    """Readings of the last `days` days, oldest first (the caller has checked access)."""
    return await fetch_all(
        conn,
        "SELECT o.id, o.code, o.value, o.unit, o.measured_at, o.source, o.flags FROM observations o"
        " WHERE o.patient_id = %(pid)s AND o.measured_at > now() - make_interval(days => %(days)s)"
        " AND (%(code)s::text IS NULL OR o.code = %(code)s) ORDER BY o.measured_at, o.id",
        {"pid": patient_id, "days": days, "code": code},
    )


async def measured_codes(conn: psycopg.AsyncConnection, patient_id: int) -> list[str]:
    """Every LOINC code the patient has ever had a reading of."""
    cur = await conn.execute("SELECT DISTINCT code FROM observations WHERE patient_id = %s", (patient_id,))
    return [str(r[0]) for r in await cur.fetchall()]
