"""Per-patient threshold overrides: the active set (for the alert engine) and their history."""

from __future__ import annotations

from typing import Any

import psycopg

from clinician_ui.queries.rows import fetch_all

Limits = tuple[float | None, float | None, float | None, float | None]


def active_overrides(conn: psycopg.Connection, patient_id: int) -> dict[str, Limits]:
    """Measurement key → (red_low, yellow_low, yellow_high, red_high) that replace the programme defaults.

    Synchronous on purpose: the alert engine calls it inside its own evaluation transaction."""
    rows = conn.execute(
        "SELECT code, red_low, yellow_low, yellow_high, red_high FROM threshold_overrides"
        " WHERE patient_id = %s AND ended_at IS NULL",
        (patient_id,),
    ).fetchall()
    return {str(r[0]): (r[1], r[2], r[3], r[4]) for r in rows}


async def history(conn: psycopg.AsyncConnection, patient_id: int) -> list[dict[str, Any]]:
    return await fetch_all(
        conn,
        "SELECT o.id, o.code, o.red_low, o.yellow_low, o.yellow_high, o.red_high, o.reason, o.set_at,"
        " o.ended_at, s.display_name AS set_by_name, e.display_name AS ended_by_name"
        " FROM threshold_overrides o JOIN users s ON s.id = o.set_by LEFT JOIN users e ON e.id = o.ended_by"
        " WHERE o.patient_id = %s ORDER BY o.set_at DESC, o.id DESC",
        (patient_id,),
    )


async def end_active(conn: psycopg.AsyncConnection, patient_id: int, code: str, user_id: int) -> int | None:
    cur = await conn.execute(
        "UPDATE threshold_overrides SET ended_at = now(), ended_by = %s"
        " WHERE patient_id = %s AND code = %s AND ended_at IS NULL RETURNING id",
        (user_id, patient_id, code),
    )
    row = await cur.fetchone()
    return int(row[0]) if row else None


async def insert(conn: psycopg.AsyncConnection, patient_id: int, code: str, limits: Limits, reason: str,
                 user_id: int) -> int:
    cur = await conn.execute(
        "INSERT INTO threshold_overrides (patient_id, code, red_low, yellow_low, yellow_high, red_high, reason,"
        " set_by) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
        (patient_id, code, *limits, reason, user_id),
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def active(conn: psycopg.AsyncConnection, patient_id: int) -> dict[str, Limits]:
    """The same as active_overrides, for the web app's async connection (the charts draw these limits)."""
    cur = await conn.execute(
        "SELECT code, red_low, yellow_low, yellow_high, red_high FROM threshold_overrides"
        " WHERE patient_id = %s AND ended_at IS NULL",
        (patient_id,),
    )
    return {str(r[0]): (r[1], r[2], r[3], r[4]) for r in await cur.fetchall()}
