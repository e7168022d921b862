"""Rows as dicts: the one way the web app's query modules read results."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row


async def fetch_all(conn: psycopg.AsyncConnection, query: Any, params: Any = None) -> list[dict[str, Any]]:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(query, params)
    return await cur.fetchall()


async def fetch_one(conn: psycopg.AsyncConnection, query: Any, params: Any = None) -> dict[str, Any] | None:
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(query, params)
    return await cur.fetchone()
