"""Home kit health: which gateways are silent or have a device with a flat battery."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row

from clinician_ui.queries.access import VISIBLE

# A gateway reports at least every few minutes when it is up; two hours of silence is worth a phone call.
OFFLINE_AFTER = timedelta(hours=2)
LOW_BATTERY_PCT = 20

_KITS = f"""
SELECT g.id AS gateway_id, g.label, g.online, g.last_seen_at, g.status, p.id AS patient_id,
       p.display_name AS patient_name, k.valid_from
FROM kit_assignments k
JOIN patients p ON p.id = k.patient_id
JOIN gateways g ON g.id = k.gateway_id
WHERE {VISIBLE} AND k.valid_from <= now() AND (k.valid_to IS NULL OR k.valid_to > now())
"""


def low_batteries(status: dict[str, Any] | None) -> list[tuple[str, int]]:
    """(device, battery %) for each device at or under the limit, from the gateway's status message."""
    devices = (status or {}).get("devices") or {}
    found = []
    if isinstance(devices, dict):
        for name, info in devices.items():
            battery = info.get("battery") if isinstance(info, dict) else None
            if isinstance(battery, int | float) and not isinstance(battery, bool) and battery <= LOW_BATTERY_PCT:
                # The device's model name when the gateway sends one; its address otherwise.
                label = info.get("name") or info.get("profile") or name
                found.append((str(label), int(battery)))
    return sorted(found)


def problems_of(kit: dict[str, Any], now_offline_cutoff: Any) -> list[str]:
    """'offline' and/or 'battery' for one kit row."""
    found = []
    last = kit.get("last_seen_at")
    if not kit.get("online") or last is None or last < now_offline_cutoff:
        found.append("offline")
    if low_batteries(kit.get("status")):
        found.append("battery")
    return found


async def assigned_kits(conn: psycopg.AsyncConnection, org: int | None) -> list[dict[str, Any]]:
    """Every kit in use by a patient of the organisation, with its problems (worst first)."""
    cur = conn.cursor(row_factory=dict_row)
    await cur.execute(_KITS + " ORDER BY p.display_name, g.id", {"org": org})
    rows = await cur.fetchall()
    now_row = await (await conn.execute("SELECT now() - %s", (OFFLINE_AFTER,))).fetchone()
    assert now_row is not None
    cutoff = now_row[0]
    for row in rows:
        row["problems"] = problems_of(row, cutoff)
        row["low_batteries"] = low_batteries(row["status"])
        row["outbox_depth"] = (row["status"] or {}).get("outbox_depth")
    rows.sort(key=lambda r: ("offline" not in r["problems"], not r["problems"], r["patient_name"]))
    return rows


async def kit_problems(conn: psycopg.AsyncConnection, org: int | None) -> list[dict[str, Any]]:
    return [k for k in await assigned_kits(conn, org) if k["problems"]]
