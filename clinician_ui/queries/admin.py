"""Organisation admin: enrolling patients, the organisation's kits and their assignments, quarantine."""

from __future__ import annotations

from typing import Any

import psycopg

from clinician_ui.queries.access import VISIBLE
from clinician_ui.queries.rows import fetch_all, fetch_one

# A kit is the organisation's if it owns it, or if it is (or was) with one of the organisation's patients.
KIT_VISIBLE = f"""(g.organisation_id = %(org)s OR EXISTS (
    SELECT 1 FROM kit_assignments k2 JOIN patients p ON p.id = k2.patient_id
    WHERE k2.gateway_id = g.id AND {VISIBLE}))"""


async def organisations(conn: psycopg.AsyncConnection) -> list[dict[str, Any]]:
    return await fetch_all(
        conn, "SELECT id, name, kind FROM organisations ORDER BY name")


async def patients(conn: psycopg.AsyncConnection, org: int | None) -> list[dict[str, Any]]:
    return await fetch_all(
        conn,
        f"""SELECT p.id, p.display_name, p.birth_year, p.conditions, p.status, n.name AS nursing_org,
                   gp.name AS gp_org, k.gateway_id
            FROM patients p JOIN organisations n ON n.id = p.nursing_org_id JOIN organisations gp ON gp.id = p.gp_org_id
            LEFT JOIN kit_assignments k ON k.patient_id = p.id AND k.valid_to IS NULL
            WHERE {VISIBLE} ORDER BY p.display_name, p.id""",
        {"org": org},
    )


async def create_patient(conn: psycopg.AsyncConnection, name: str, birth_year: int | None, nursing_org: int,
                         gp_org: int, programmes: list[str]) -> int:
    cur = await conn.execute(
        "INSERT INTO patients (display_name, birth_year, nursing_org_id, gp_org_id, conditions)"
        " VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (name, birth_year, nursing_org, gp_org, programmes),
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def set_care(conn: psycopg.AsyncConnection, patient_id: int, programmes: list[str], nursing_org: int,
                   gp_org: int) -> None:
    await conn.execute("UPDATE patients SET conditions = %s, nursing_org_id = %s, gp_org_id = %s WHERE id = %s",
                       (programmes, nursing_org, gp_org, patient_id))


async def kits(conn: psycopg.AsyncConnection, org: int | None) -> list[dict[str, Any]]:
    """The organisation's kits with the patient each is with now (if visible to the organisation)."""
    return await fetch_all(
        conn,
        f"""SELECT g.id AS gateway_id, g.label, g.online, g.last_seen_at, g.status, k.patient_id,
                   k.valid_from, p.display_name AS patient_name
            FROM gateways g
            LEFT JOIN kit_assignments k ON k.gateway_id = g.id AND k.valid_to IS NULL
            LEFT JOIN patients p ON p.id = k.patient_id AND {VISIBLE}
            WHERE {KIT_VISIBLE} ORDER BY g.id""",
        {"org": org},
    )


async def kit(conn: psycopg.AsyncConnection, org: int | None, gateway_id: str) -> dict[str, Any] | None:
    return await fetch_one(
        conn, f"SELECT g.id, g.organisation_id FROM gateways g WHERE g.id = %(gw)s AND {KIT_VISIBLE}",
              {"org": org, "gw": gateway_id})


async def gateway_exists(conn: psycopg.AsyncConnection, gateway_id: str) -> bool:
    cur = await conn.execute("SELECT 1 FROM gateways WHERE id = %s", (gateway_id,))
    return await cur.fetchone() is not None


async def register_kit(conn: psycopg.AsyncConnection, gateway_id: str, label: str | None, org: int) -> None:
    await conn.execute("INSERT INTO gateways (id, label, organisation_id) VALUES (%s, %s, %s)",
                       (gateway_id, label, org))


async def open_assignment(conn: psycopg.AsyncConnection, gateway_id: str,
                          user_index: int | None = None) -> dict[str, Any] | None:
    return await fetch_one(
        conn, "SELECT id, patient_id, valid_from FROM kit_assignments WHERE gateway_id = %s"
              " AND user_index IS NOT DISTINCT FROM %s AND valid_to IS NULL FOR UPDATE",
              (gateway_id, user_index))


async def patient_kits(conn: psycopg.AsyncConnection, patient_id: int) -> list[dict[str, Any]]:
    return await fetch_all(
        conn,
        "SELECT k.id, k.gateway_id, k.valid_from, k.valid_to, g.online, g.last_seen_at FROM kit_assignments k"
        " JOIN gateways g ON g.id = k.gateway_id WHERE k.patient_id = %s ORDER BY k.valid_from DESC",
        (patient_id,),
    )


async def assign_kit(conn: psycopg.AsyncConnection, gateway_id: str, patient_id: int,
                     user_index: int | None = None) -> int:
    cur = await conn.execute(
        "INSERT INTO kit_assignments (gateway_id, patient_id, valid_from, user_index) VALUES (%s, %s, now(), %s)"
        " RETURNING id",
        (gateway_id, patient_id, user_index),
    )
    row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def end_assignment(conn: psycopg.AsyncConnection, patient_id: int) -> str | None:
    cur = await conn.execute(
        "UPDATE kit_assignments SET valid_to = greatest(now(), valid_from + interval '1 second')"
        " WHERE patient_id = %s AND valid_to IS NULL RETURNING gateway_id",
        (patient_id,),
    )
    row = await cur.fetchone()
    return str(row[0]) if row else None


_QUARANTINE_SCOPE = f"""
FROM quarantine q JOIN gateways g ON g.id = split_part(q.topic, '/', 4)
WHERE {KIT_VISIBLE} AND q.received_at >= now() - make_interval(days => %(days)s)
"""


async def quarantine_rows(conn: psycopg.AsyncConnection, org: int | None, days: int,
                          limit: int = 200) -> list[dict[str, Any]]:
    """Quarantined messages from the organisation's kits (unknown gateways belong to no one yet)."""
    return await fetch_all(
        conn,
        "SELECT q.id, q.received_at, q.topic, g.id AS gateway_id, q.reason, q.replayed_at, length(q.payload) AS size"
        + _QUARANTINE_SCOPE + " ORDER BY q.received_at DESC, q.id DESC LIMIT %(limit)s",
        {"org": org, "days": days, "limit": limit},
    )


async def pending_quarantine_ids(conn: psycopg.AsyncConnection, org: int | None, days: int) -> list[int]:
    cur = await conn.execute("SELECT q.id" + _QUARANTINE_SCOPE + " AND q.replayed_at IS NULL",
                             {"org": org, "days": days})
    return [int(r[0]) for r in await cur.fetchall()]
