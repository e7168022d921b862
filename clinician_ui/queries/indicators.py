"""Health-cluster indicators per municipality (nursing organisation) and GP practice, and the admissions they
count. Figures cover the patients the user's organisation can see; no patient is named in them.

Definitions (a period is whole local days, [start, end)):
- a patient is monitored on a day when a kit was assigned to them at some time that day (a patient who never had a
  kit counts from enrolment, for typed-in readings); patient-days are those days;
- missing-data rate: share of monitored days, not spent in hospital, without any reading;
- alerts per 100 patient-days: alerts opened in the period per 100 monitored days;
- time to acknowledge: median minutes from opening to acknowledgement of alerts opened in the period;
- outcomes: alerts resolved in the period, by the outcome recorded at resolution;
- readmission: an admission that starts within 30 (or 3) days of the discharge from an earlier one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg

from clinician_ui.queries.access import VISIBLE
from clinician_ui.queries.rows import fetch_all

TZ_NAME = "Europe/Copenhagen"
_TZ = ZoneInfo(TZ_NAME)
PROGRAMMES = ("copd", "heart_failure", "diabetes", "hypertension")
OUTCOMES = ("normalised", "contacted_patient", "home_visit", "gp_informed", "admitted", "false_alarm")
ADMISSION_SOURCES = ("nurse", "gp", "hospital", "import")

# Every figure is computed once per nursing organisation and once per GP practice.
_SETS = "GROUPING SETS ((p.nursing_org_id), (p.gp_org_id))"
_AXIS = ("CASE WHEN GROUPING(p.nursing_org_id) = 0 THEN 'municipality' ELSE 'gp_practice' END AS axis,"
         " CASE WHEN GROUPING(p.nursing_org_id) = 0 THEN p.nursing_org_id ELSE p.gp_org_id END AS org_id")

_PATIENT_DAYS = f"""
WITH days AS (
    SELECT (d::timestamp AT TIME ZONE %(tz)s) AS day_start,
           ((d + interval '1 day')::timestamp AT TIME ZONE %(tz)s) AS day_end
    FROM generate_series((%(start)s AT TIME ZONE %(tz)s)::date,
                         ((%(end)s AT TIME ZONE %(tz)s) - interval '1 second')::date, interval '1 day') AS d
), spans AS (
    SELECT k.patient_id, k.valid_from AS since, k.valid_to AS until
    FROM kit_assignments k JOIN patients p ON p.id = k.patient_id WHERE {VISIBLE}
    UNION ALL
    SELECT p.id, p.created_at, NULL FROM patients p
    WHERE {VISIBLE} AND NOT EXISTS (SELECT 1 FROM kit_assignments k WHERE k.patient_id = p.id)
), monitored AS (
    SELECT DISTINCT s.patient_id, d.day_start, d.day_end
    FROM spans s JOIN days d ON s.since < d.day_end AND (s.until IS NULL OR s.until > d.day_start)
), marked AS (
    SELECT m.patient_id,
           EXISTS (SELECT 1 FROM observations o WHERE o.patient_id = m.patient_id
                   AND o.measured_at >= m.day_start AND o.measured_at < m.day_end) AS measured,
           EXISTS (SELECT 1 FROM admissions a WHERE a.patient_id = m.patient_id AND a.admitted_at < m.day_end
                   AND coalesce(a.discharged_at, 'infinity') > m.day_start) AS in_hospital
    FROM monitored m
), per_patient AS (
    SELECT patient_id, count(*) AS patient_days,
           count(*) FILTER (WHERE NOT in_hospital) AS expected_days,
           count(*) FILTER (WHERE NOT in_hospital AND NOT measured) AS missing_days
    FROM marked GROUP BY patient_id
)
SELECT {_AXIS}, count(*) AS patients,
       {", ".join(f"count(*) FILTER (WHERE '{c}' = ANY(p.conditions)) AS prog_{c}" for c in PROGRAMMES)},
       sum(pp.patient_days) AS patient_days, sum(pp.expected_days) AS expected_days,
       sum(pp.missing_days) AS missing_days
FROM per_patient pp JOIN patients p ON p.id = pp.patient_id
GROUP BY {_SETS}
"""

_ALERTS = f"""
SELECT {_AXIS}, count(*) AS alerts,
       count(*) FILTER (WHERE a.severity = 'red') AS alerts_red,
       count(*) FILTER (WHERE a.acknowledged_at IS NOT NULL) AS acknowledged,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM a.acknowledged_at - a.opened_at) / 60)
           FILTER (WHERE a.acknowledged_at IS NOT NULL) AS median_ack_minutes
FROM alerts a JOIN patients p ON p.id = a.patient_id
WHERE {VISIBLE} AND a.opened_at >= %(start)s AND a.opened_at < %(end)s
GROUP BY {_SETS}
"""

_OUTCOMES = f"""
SELECT {_AXIS}, a.outcome, count(*) AS n
FROM alerts a JOIN patients p ON p.id = a.patient_id
WHERE {VISIBLE} AND a.status = 'resolved' AND a.resolved_at >= %(start)s AND a.resolved_at < %(end)s
      AND a.outcome IS NOT NULL
GROUP BY GROUPING SETS ((p.nursing_org_id, a.outcome), (p.gp_org_id, a.outcome))
"""

_ADMISSIONS = f"""
SELECT {_AXIS}, count(*) AS admissions,
       count(*) FILTER (WHERE ra.gap <= interval '30 days') AS readmissions_30d,
       count(*) FILTER (WHERE ra.gap <= interval '3 days') AS readmissions_3d
FROM admissions ad JOIN patients p ON p.id = ad.patient_id
LEFT JOIN LATERAL (
    SELECT min(ad.admitted_at - prev.discharged_at) AS gap FROM admissions prev
    WHERE prev.patient_id = ad.patient_id AND prev.id <> ad.id AND prev.discharged_at IS NOT NULL
          AND prev.discharged_at <= ad.admitted_at
) ra ON true
WHERE {VISIBLE} AND ad.admitted_at >= %(start)s AND ad.admitted_at < %(end)s
GROUP BY {_SETS}
"""


class BadPeriod(ValueError):
    """A period that runs backwards or is too long to compute."""


def local_days(start: date | None, end: date | None, today: date, default_days: int = 30,
               max_days: int = 3660) -> tuple[datetime, datetime]:
    """Whole local days [start 00:00, end + 1 day 00:00); by default the `default_days` days up to today."""
    end = end or today
    start = start or end - timedelta(days=default_days - 1)
    if start > end:
        raise BadPeriod("start is after end")
    if (end - start).days >= max_days:
        raise BadPeriod(f"the period is longer than {max_days} days")
    return datetime.combine(start, time.min, tzinfo=_TZ), datetime.combine(end + timedelta(days=1), time.min,
                                                                          tzinfo=_TZ)


@dataclass
class Indicators:
    """One organisation's figures for the period."""

    axis: str  # "municipality" (nursing organisation) or "gp_practice"
    organisation_id: int
    organisation: str = ""
    patients: int = 0
    programmes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PROGRAMMES, 0))
    patient_days: int = 0
    expected_days: int = 0
    missing_days: int = 0
    alerts: int = 0
    alerts_red: int = 0
    acknowledged: int = 0
    median_ack_minutes: float | None = None
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    admissions: int = 0
    readmissions_30d: int = 0
    readmissions_3d: int = 0

    @property
    def alerts_per_100_patient_days(self) -> float | None:
        return round(100 * self.alerts / self.patient_days, 2) if self.patient_days else None

    @property
    def missing_data_rate(self) -> float | None:
        return round(self.missing_days / self.expected_days, 4) if self.expected_days else None


async def _rows(conn: psycopg.AsyncConnection, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    return await fetch_all(
        conn, sql, params)


async def indicators(conn: psycopg.AsyncConnection, org: int | None, start: datetime,
                     end: datetime) -> list[Indicators]:
    """Figures for every organisation that shares patients with `org`; `org`'s own rows first."""
    params = {"org": org, "start": start, "end": end, "tz": TZ_NAME}
    found: dict[tuple[str, int], Indicators] = {}

    def at(row: dict[str, Any]) -> Indicators:
        key = (str(row["axis"]), int(row["org_id"]))
        return found.setdefault(key, Indicators(axis=key[0], organisation_id=key[1]))

    for row in await _rows(conn, _PATIENT_DAYS, params):
        ind = at(row)
        ind.patients = int(row["patients"])
        ind.programmes = {c: int(row[f"prog_{c}"]) for c in PROGRAMMES}
        ind.patient_days, ind.expected_days = int(row["patient_days"]), int(row["expected_days"])
        ind.missing_days = int(row["missing_days"])
    for row in await _rows(conn, _ALERTS, params):
        ind = at(row)
        ind.alerts, ind.alerts_red, ind.acknowledged = int(row["alerts"]), int(row["alerts_red"]), \
            int(row["acknowledged"])
        median = row["median_ack_minutes"]
        ind.median_ack_minutes = round(float(median), 1) if median is not None else None
    for row in await _rows(conn, _OUTCOMES, params):
        outcomes = at(row).outcomes
        outcomes[str(row["outcome"])] = outcomes.get(str(row["outcome"]), 0) + int(row["n"])
    for row in await _rows(conn, _ADMISSIONS, params):
        ind = at(row)
        ind.admissions, ind.readmissions_30d = int(row["admissions"]), int(row["readmissions_30d"])
        ind.readmissions_3d = int(row["readmissions_3d"])
    names = {int(r["id"]): str(r["name"]) for r in await _rows(
        conn, "SELECT id, name FROM organisations WHERE id = ANY(%(ids)s)",
        {"ids": sorted({k[1] for k in found})})}
    for ind in found.values():
        ind.organisation = names.get(ind.organisation_id, "")
    return sorted(found.values(), key=lambda i: (i.organisation_id != org, i.axis, i.organisation))


# --- admissions ---------------------------------------------------------------------------------------------

async def record_admission(conn: psycopg.AsyncConnection, org: int | None, patient_id: int, user_id: int,
                           admitted_at: datetime, discharged_at: datetime | None, source: str,
                           note: str | None) -> int | None:
    """Insert an admission of a visible patient; its id, or None when the patient is not visible."""
    cur = await conn.execute(
        f"""INSERT INTO admissions (patient_id, admitted_at, discharged_at, source, recorded_by, note)
            SELECT p.id, %(admitted)s, %(discharged)s, %(source)s, %(uid)s, %(note)s
            FROM patients p WHERE p.id = %(pid)s AND {VISIBLE}
            RETURNING id""",
        {"org": org, "pid": patient_id, "admitted": admitted_at, "discharged": discharged_at, "source": source,
         "uid": user_id, "note": note},
    )
    row = await cur.fetchone()
    return int(row[0]) if row else None


async def recent_admissions(conn: psycopg.AsyncConnection, org: int | None,
                            limit: int = 50) -> list[dict[str, Any]]:
    return await fetch_all(
        conn,
        f"""SELECT ad.id, ad.patient_id, p.display_name AS patient_name, ad.admitted_at, ad.discharged_at,
                   ad.source, ad.note, ad.recorded_at
            FROM admissions ad JOIN patients p ON p.id = ad.patient_id
            WHERE {VISIBLE} ORDER BY ad.admitted_at DESC, ad.id DESC LIMIT %(limit)s""",
        {"org": org, "limit": limit},
    )
