"""Writes to audit_log: who read or changed which patient's data, and when."""

from __future__ import annotations

from collections.abc import Iterable

import psycopg
from psycopg.types.json import Jsonb


async def record(conn: psycopg.AsyncConnection, user_id: int | None, action: str,
                 patient_id: int | None = None, detail: dict[str, object] | None = None) -> None:
    await conn.execute(
        "INSERT INTO audit_log (user_id, action, patient_id, detail) VALUES (%s, %s, %s, %s)",
        (user_id, action, patient_id, Jsonb(detail or {})),
    )


async def record_many(conn: psycopg.AsyncConnection, user_id: int, action: str,
                      patient_ids: Iterable[int], detail: dict[str, object] | None = None) -> None:
    ids = sorted(set(patient_ids))
    if not ids:
        return
    await conn.execute(
        "INSERT INTO audit_log (user_id, action, patient_id, detail)"
        " SELECT %s, %s, pid, %s FROM unnest(%s::int[]) AS pid",
        (user_id, action, Jsonb(detail or {}), ids),
    )
