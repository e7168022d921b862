"""Rounds: per patient, what happened since this user's last review; and the reviews themselves."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row

from clinician_ui.queries.access import VISIBLE
from clinician_ui.queries.rows import fetch_all

_PATIENTS = f"""
WITH pts AS (
    SELECT p.id, p.display_name, p.birth_year, p.conditions, p.status,
           rv.reviewed_at AS last_reviewed_at, rv.note AS last_review_note,
           coalesce(rv.reviewed_at, now() - interval '14 days') AS since
    FROM patients p
    LEFT JOIN LATERAL (
        SELECT r.reviewed_at, r.note FROM patient_reviews r
        WHERE r.patient_id = p.id AND r.user_id = %(uid)s ORDER BY r.reviewed_at DESC LIMIT 1
    ) rv ON true
    WHERE {VISIBLE}
)
SELECT pts.*, al.new_red, al.new_yellow, al.new_review, al.escalated, lr.latest_reading_at
FROM pts
LEFT JOIN LATERAL (
    SELECT count(*) FILTER (WHERE a.severity = 'red') AS new_red,
           count(*) FILTER (WHERE a.severity = 'yellow') AS new_yellow,
           count(*) FILTER (WHERE a.severity = 'review') AS new_review,
           (SELECT count(*) FROM alerts e WHERE e.patient_id = pts.id AND e.status <> 'resolved'
              AND e.responsible_role = 'gp' AND e.escalated_at > pts.since) AS escalated
    FROM alerts a WHERE a.patient_id = pts.id AND a.opened_at > pts.since
) al ON true
LEFT JOIN LATERAL (
    SELECT max(o.measured_at) AS latest_reading_at FROM observations o WHERE o.patient_id = pts.id
) lr ON true
"""

_STATS = """
SELECT o.patient_id, o.code,
       avg(o.value) FILTER (WHERE o.measured_at > s.since) AS recent_mean,
       count(*) FILTER (WHERE o.measured_at > s.since) AS recent_n,
       avg(o.value) FILTER (WHERE o.measured_at <= s.since) AS base_mean,
       count(*) FILTER (WHERE o.measured_at <= s.since) AS base_n
FROM unnest(%s::int[], %s::timestamptz[]) AS s(pid, since)
JOIN observations o ON o.patient_id = s.pid AND o.measured_at > s.since - interval '14 days'
GROUP BY o.patient_id, o.code
"""


async def patients(conn: psycopg.AsyncConnection, org: int | None, user_id: int,
                   patient_id: int | None = None) -> list[dict[str, Any]]:
    cur = conn.cursor(row_factory=dict_row)
    where = " WHERE pts.id = %(pid)s" if patient_id is not None else ""
    await cur.execute(_PATIENTS + where, {"org": org, "uid": user_id, "pid": patient_id})
    return await cur.fetchall()


async def code_stats(conn: psycopg.AsyncConnection, sinces: dict[int, datetime]
                     ) -> dict[int, list[dict[str, Any]]]:
    """Per patient and measurement: mean and count after `since`, and in the fortnight before it."""
    if not sinces:
        return {}
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(_STATS, (list(sinces), list(sinces.values())))
    out: dict[int, list[dict[str, Any]]] = {}
    for row in await cur.fetchall():
        out.setdefault(int(row["patient_id"]), []).append(row)
    return out


async def add_review(conn: psycopg.AsyncConnection, patient_id: int, user_id: int, note: str | None) -> int:
    cur = await conn.execute(
        "INSERT INTO patient_reviews (patient_id, user_id, note) VALUES (%s, %s, %s) RETURNING id",
        (patient_id, user_id, note),
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def recent_reviews(conn: psycopg.AsyncConnection, patient_id: int, limit: int = 5) -> list[dict[str, Any]]:
    return await fetch_all(
        conn,
        "SELECT r.reviewed_at, r.note, u.display_name AS by_name, u.id AS user_id FROM patient_reviews r"
        " JOIN users u ON u.id = r.user_id WHERE r.patient_id = %s ORDER BY r.reviewed_at DESC LIMIT %s",
        (patient_id, limit),
    )


async def glucose_readings(conn: psycopg.AsyncConnection, patient_id: int, days: int) -> list[tuple[datetime, float]]:
    cur = await conn.execute(
        "SELECT measured_at, value FROM observations WHERE patient_id = %s AND code = '14743-9'"
        " AND measured_at > now() - make_interval(days => %s) ORDER BY measured_at",
        (patient_id, days),
    )
    return [(r[0], float(r[1])) for r in await cur.fetchall()]
