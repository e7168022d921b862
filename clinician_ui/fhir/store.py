"""What the FHIR export reads: a patient's organisations, readings and alerts in a period (access checked by
the caller through the organisation-scoped patient query)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

import psycopg

from clinician_ui.queries.rows import fetch_all

_OBSERVATION_COLUMNS = ("o.id, o.code, o.value, o.unit, o.measured_at, o.received_at, o.gateway_id, o.device_id,"
                        " o.device_profile, o.user_index, o.source, o.entered_by, o.flags")


async def organisations(conn: psycopg.AsyncConnection, ids: Collection[int]) -> list[dict[str, Any]]:
    return await fetch_all(
        conn, "SELECT id, name, kind FROM organisations WHERE id = ANY(%s) ORDER BY id", (list(ids),))


async def observations(conn: psycopg.AsyncConnection, patient_id: int, start: datetime | None,
                       end: datetime | None, loincs: Collection[str] | None = None,
                       limit: int = 20000) -> list[dict[str, Any]]:
    """Readings with start <= measured_at < end (either bound may be open), oldest first."""
    return await fetch_all(
        conn,
        f"SELECT {_OBSERVATION_COLUMNS} FROM observations o WHERE o.patient_id = %(pid)s"
        " AND (%(start)s::timestamptz IS NULL OR o.measured_at >= %(start)s)"
        " AND (%(end)s::timestamptz IS NULL OR o.measured_at < %(end)s)"
        " AND (%(codes)s::text[] IS NULL OR o.code = ANY(%(codes)s))"
        " ORDER BY o.measured_at, o.id LIMIT %(limit)s",
        {"pid": patient_id, "start": start, "end": end, "codes": list(loincs) if loincs is not None else None,
         "limit": limit},
    )


async def alerts(conn: psycopg.AsyncConnection, patient_id: int, start: datetime,
                 end: datetime) -> list[dict[str, Any]]:
    """Alerts that were live at some time in [start, end)."""
    return await fetch_all(
        conn,
        "SELECT a.id, a.rule, a.code, a.severity, a.status, a.opened_at, a.acknowledged_at, a.resolved_at,"
        " a.outcome, a.explanation, a.evidence FROM alerts a WHERE a.patient_id = %(pid)s"
        " AND a.opened_at < %(end)s AND (a.resolved_at IS NULL OR a.resolved_at >= %(start)s)"
        " ORDER BY a.opened_at, a.id",
        {"pid": patient_id, "start": start, "end": end},
    )
