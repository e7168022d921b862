"""The patient's own page: whose page a user may read, latest readings, the kit, messages and relatives."""

from __future__ import annotations

from typing import Any

import psycopg

from clinician_ui.queries.rows import fetch_all, fetch_one


async def readable_patients(conn: psycopg.AsyncConnection, user_id: int) -> list[dict[str, Any]]:
    return await fetch_all(
        conn,
        "SELECT p.id, p.display_name, a.relation FROM patient_access a JOIN patients p ON p.id = a.patient_id"
        " WHERE a.user_id = %s AND a.revoked_at IS NULL ORDER BY a.relation = 'self' DESC, p.display_name",
        (user_id,),
    )


async def latest_readings(conn: psycopg.AsyncConnection, patient_id: int) -> list[dict[str, Any]]:
    """The newest reading of each measurement in the last 30 days."""
    return await fetch_all(
        conn,
        "SELECT DISTINCT ON (code) code, value, unit, measured_at, source FROM observations"
        " WHERE patient_id = %s AND measured_at > now() - interval '30 days' ORDER BY code, measured_at DESC",
        (patient_id,),
    )


async def current_kit(conn: psycopg.AsyncConnection, patient_id: int) -> dict[str, Any] | None:
    return await fetch_one(
        conn,
        "SELECT g.id AS gateway_id, g.online, g.last_seen_at, g.status FROM kit_assignments k"
        " JOIN gateways g ON g.id = k.gateway_id WHERE k.patient_id = %s AND k.valid_to IS NULL",
        (patient_id,),
    )


async def messages(conn: psycopg.AsyncConnection, patient_id: int, limit: int = 20) -> list[dict[str, Any]]:
    return await fetch_all(
        conn,
        "SELECT m.id, m.body, m.created_at, m.read_at, u.display_name AS author_name, u.role AS author_role"
        " FROM messages m JOIN users u ON u.id = m.author_id WHERE m.patient_id = %s"
        " ORDER BY m.created_at DESC, m.id DESC LIMIT %s",
        (patient_id, limit),
    )


async def mark_read(conn: psycopg.AsyncConnection, patient_id: int) -> None:
    await conn.execute("UPDATE messages SET read_at = now() WHERE patient_id = %s AND read_at IS NULL",
                       (patient_id,))


async def add_message(conn: psycopg.AsyncConnection, patient_id: int, author_id: int, body: str) -> int:
    cur = await conn.execute("INSERT INTO messages (patient_id, author_id, body) VALUES (%s, %s, %s) RETURNING id",
                             (patient_id, author_id, body))
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def relatives(conn: psycopg.AsyncConnection, patient_id: int) -> list[dict[str, Any]]:
    return await fetch_all(
        conn,
        "SELECT u.id, u.display_name, u.username, a.granted_at FROM patient_access a JOIN users u ON u.id = a.user_id"
        " WHERE a.patient_id = %s AND a.relation = 'relative' AND a.revoked_at IS NULL ORDER BY a.granted_at",
        (patient_id,),
    )


async def grant(conn: psycopg.AsyncConnection, user_id: int, patient_id: int, relation: str, by: int) -> None:
    await conn.execute(
        "INSERT INTO patient_access (user_id, patient_id, relation, granted_by) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (user_id, patient_id) DO UPDATE SET revoked_at = NULL, granted_by = excluded.granted_by,"
        " granted_at = now()",
        (user_id, patient_id, relation, by),
    )


async def revoke(conn: psycopg.AsyncConnection, user_id: int, patient_id: int) -> bool:
    cur = await conn.execute(
        "UPDATE patient_access SET revoked_at = now() WHERE user_id = %s AND patient_id = %s"
        " AND relation = 'relative' AND revoked_at IS NULL RETURNING user_id",
        (user_id, patient_id),
    )
    return await cur.fetchone() is not None


async def username_taken(conn: psycopg.AsyncConnection, username: str) -> bool:
    cur = await conn.execute("SELECT 1 FROM users WHERE username = %s", (username,))
    return await cur.fetchone() is not None


async def access_list(conn: psycopg.AsyncConnection, patient_id: int) -> list[dict[str, Any]]:
    """Everyone who may read the patient's own page now: the patient's login and granted relatives."""
    return await fetch_all(
        conn,
        "SELECT u.id, u.display_name, u.username, a.relation FROM patient_access a JOIN users u ON u.id = a.user_id"
        " WHERE a.patient_id = %s AND a.revoked_at IS NULL ORDER BY a.relation = 'self' DESC, a.granted_at",
        (patient_id,),
    )
