"""Measurement plans: what a patient is asked to measure and by when (the alert core's no-data sweep reads them)."""

from __future__ import annotations

from datetime import time
from typing import Any

import psycopg

from clinician_ui.queries.rows import fetch_all


async def plans(conn: psycopg.AsyncConnection, patient_id: int) -> list[dict[str, Any]]:
    return await fetch_all(
        conn, "SELECT code, frequency, due_by FROM measurement_plans WHERE patient_id = %s ORDER BY code",
              (patient_id,))


async def set_plan(conn: psycopg.AsyncConnection, patient_id: int, code: str, frequency: str, due_by: time) -> None:
    await conn.execute(
        "INSERT INTO measurement_plans (patient_id, code, frequency, due_by) VALUES (%s, %s, %s, %s)"
        " ON CONFLICT (patient_id, code) DO UPDATE SET frequency = excluded.frequency, due_by = excluded.due_by",
        (patient_id, code, frequency, due_by))


async def delete_plan(conn: psycopg.AsyncConnection, patient_id: int, code: str) -> bool:
    cur = await conn.execute("DELETE FROM measurement_plans WHERE patient_id = %s AND code = %s", (patient_id, code))
    return cur.rowcount > 0
