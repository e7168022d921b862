"""Batched, idempotent writes: COPY into a staging table, then INSERT … ON CONFLICT DO NOTHING."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import psycopg

_STAGING = """
CREATE TEMP TABLE IF NOT EXISTS obs_staging (
    id uuid, patient_id int, code text, value double precision, unit text,
    measured_at timestamptz, received_at timestamptz, gateway_id text, device_id text,
    device_profile text, user_index int, source text, flags text[]
) ON COMMIT DELETE ROWS
"""

_MOVE = """
WITH moved AS (
    INSERT INTO observations (id, patient_id, code, value, unit, measured_at, received_at, gateway_id,
                              device_id, device_profile, user_index, source, flags, ingested_at)
    -- clock_timestamp(), not now(): the time the row is written, just before commit, not when the
    -- transaction began; publish-to-commit latency is measured from it.
    SELECT DISTINCT ON (id) id, patient_id, code, value, unit, measured_at, received_at, gateway_id,
           device_id, device_profile, user_index, source, flags, clock_timestamp()
    FROM obs_staging ORDER BY id
    ON CONFLICT DO NOTHING  -- the key on id (plain) or the dedupe trigger (TimescaleDB) decides
    RETURNING id, patient_id
), queued AS (
    -- One row per patient of the batch: the alert core claims readings by patient anyway.
    INSERT INTO alert_queue (patient_id, observation_ids) SELECT patient_id, array_agg(id) FROM moved
    GROUP BY patient_id
)
SELECT count(*) FROM moved
"""


_STAGING_TYPES = ["uuid", "int4", "text", "float8", "text", "timestamptz", "timestamptz", "text", "text", "text",
                  "int4", "text", "text[]"]


class Bound(NamedTuple):
    """An accepted reading bound to the patient whose kit took it, in the staging table's column order (one
    tuple a reading, written to COPY as it is)."""

    id: uuid.UUID
    patient_id: int
    code: str
    value: float
    unit: str
    measured_at: datetime
    received_at: datetime
    gateway_id: str
    device_id: str
    device_profile: str
    user_index: int | None
    source: str
    flags: list[str]


@dataclass(frozen=True)
class WriteResult:
    inserted: int
    duplicates: int
    quarantined: int


class Assignments:
    """Kit assignments of a set of gateways, to bind readings by measured time (and BLE user index)."""

    def __init__(self, rows: Iterable[tuple[str, int, datetime, datetime | None, int | None]]) -> None:
        self._by_gateway: dict[str, list[tuple[int, datetime, datetime | None, int | None]]] = {}
        for gateway_id, patient_id, start, end, user_index in rows:
            self._by_gateway.setdefault(gateway_id, []).append((patient_id, start, end, user_index))

    @classmethod
    def load(cls, conn: psycopg.Connection, gateway_ids: Sequence[str]) -> Assignments:
        rows = conn.execute(
            "SELECT gateway_id, patient_id, valid_from, valid_to, user_index FROM kit_assignments"
            " WHERE gateway_id = ANY(%s)",
            (list(gateway_ids),),
        ).fetchall()
        return cls(rows)

    def patient_at(self, gateway_id: str, at: datetime, user_index: int | None = None) -> int | None:
        """The patient of this user index at that time; else the kit's patient for every user."""
        fallback = None
        for patient_id, start, end, assigned_user in self._by_gateway.get(gateway_id, ()):
            if not (start <= at and (end is None or at < end)):
                continue
            if assigned_user is None:
                fallback = patient_id
            elif assigned_user == user_index:
                return patient_id
        return fallback

    def binder(self, gateway_id: str) -> Callable[[datetime, int | None], int | None]:
        """``patient_at`` for one gateway, looked up once a message rather than once a reading; a kit with one
        assignment for all its users (the usual case) binds by one interval test."""
        periods = self._by_gateway.get(gateway_id, ())
        if len(periods) == 1 and periods[0][3] is None:
            patient_id, start, end, _ = periods[0]
            if end is None:
                return lambda at, _user: patient_id if start <= at else None
            return lambda at, _user: patient_id if start <= at < end else None
        return lambda at, user_index: self.patient_at(gateway_id, at, user_index)


def known_gateways(conn: psycopg.Connection, among: Iterable[str]) -> set[str]:
    """Which of these gateway ids are registered."""
    rows = conn.execute("SELECT id FROM gateways WHERE id = ANY(%s)", (sorted(set(among)),))
    return {row[0] for row in rows}


def quarantine(conn: psycopg.Connection, items: Iterable[tuple[str, bytes, str]]) -> int:
    """Store (topic, payload, reason) rows; returns how many."""
    rows = list(items)
    if rows:
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO quarantine (topic, payload, reason) VALUES (%s, %s, %s)", rows)
    return len(rows)


def write_observations(conn: psycopg.Connection, bound: Sequence[Bound]) -> tuple[int, int]:
    """Insert inside the caller's transaction; returns (inserted, duplicates)."""
    if not bound:
        return 0, 0
    conn.execute(_STAGING)
    with conn.cursor() as cur:
        with cur.copy(
            "COPY obs_staging (id, patient_id, code, value, unit, measured_at, received_at, gateway_id,"
            " device_id, device_profile, user_index, source, flags) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(_STAGING_TYPES)
            for b in bound:
                copy.write_row(b)
        moved = cur.execute(_MOVE).fetchone()
    inserted = int(moved[0]) if moved else 0
    conn.execute("SELECT pg_notify('nearcare_observations', %s)", (json.dumps({"n": inserted}),))
    return inserted, len(bound) - inserted
