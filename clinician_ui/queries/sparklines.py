"""The recent readings behind each alert, for the small trend line in its triage row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import psycopg

from clinician_ui.i18n import code_for

POINTS = 20
DAYS = 30


async def recent_values(conn: psycopg.AsyncConnection, alerts: Sequence[dict[str, Any]]
                        ) -> dict[int, list[float]]:
    """Alert id → the patient's last readings of the alert's measurement, oldest first (one query)."""
    keys: list[tuple[int, int, str]] = []
    for a in alerts:
        code = code_for(str(a.get("code") or ""))
        if code is not None and code.loinc:
            keys.append((int(a["id"]), int(a["patient_id"]), code.loinc))
    if not keys:
        return {}
    cur = await conn.execute(
        """SELECT k.alert_id, s.vals
           FROM unnest(%s::bigint[], %s::int[], %s::text[]) AS k(alert_id, patient_id, loinc)
           CROSS JOIN LATERAL (
               SELECT array_agg(v.value ORDER BY v.measured_at) AS vals FROM (
                   SELECT o.value, o.measured_at FROM observations o
                   WHERE o.patient_id = k.patient_id AND o.code = k.loinc
                     AND o.measured_at > now() - make_interval(days => %s)
                   ORDER BY o.measured_at DESC LIMIT %s) v
           ) s""",
        ([k[0] for k in keys], [k[1] for k in keys], [k[2] for k in keys], DAYS, POINTS),
    )
    return {int(r[0]): [float(x) for x in r[1]] for r in await cur.fetchall() if r[1]}
