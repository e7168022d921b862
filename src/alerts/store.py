"""The alert core's thin store: claim queued readings, lock the patient, apply rule actions, notify."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg.types.json import Jsonb

from alerts.explain import localise
from alerts.model import SEVERITY_RANK, Action, AutoResolve, LiveAlert, Open, Reading, Severity, Update
from alerts.thresholds import Bands
from device_profiles.codes import BY_LOINC, CODES

MAX_VALUES_SHOWN = 10


@dataclass(frozen=True)
class PatientContext:
    id: int
    conditions: tuple[str, ...]
    status: str


def claim(conn: psycopg.Connection, limit: int = 1000) -> dict[int, list[uuid.UUID]]:
    """Take queued observations (other workers skip them); rolled back with the caller's transaction."""
    rows = conn.execute(
        "DELETE FROM alert_queue WHERE id IN ("
        " SELECT id FROM alert_queue ORDER BY id FOR UPDATE SKIP LOCKED LIMIT %s)"
        " RETURNING patient_id, observation_id",
        (limit,),
    ).fetchall()
    by_patient: dict[int, list[uuid.UUID]] = defaultdict(list)
    for patient_id, obs_id in rows:
        by_patient[patient_id].append(obs_id)
    return dict(by_patient)


def lock_patient(conn: psycopg.Connection, patient_id: int) -> None:
    # Class 1 = per-patient evaluation; released at commit.
    conn.execute("SELECT pg_advisory_xact_lock(1, %s)", (patient_id,))


def patient(conn: psycopg.Connection, patient_id: int) -> PatientContext | None:
    row = conn.execute("SELECT id, conditions, status FROM patients WHERE id = %s", (patient_id,)).fetchone()
    return PatientContext(row[0], tuple(row[1]), row[2]) if row else None


def _readings(rows: list[tuple[uuid.UUID, str, float, str, datetime, datetime]]) -> list[Reading]:
    out = []
    for obs_id, loinc, value, unit, measured_at, received_at in rows:
        code = BY_LOINC.get(loinc)
        if code is not None:
            out.append(Reading(obs_id, code.key, value, unit, measured_at, received_at))
    return out


def readings(conn: psycopg.Connection, ids: list[uuid.UUID]) -> list[Reading]:
    return _readings(conn.execute(
        "SELECT id, code, value, unit, measured_at, received_at FROM observations WHERE id = ANY(%s)"
        " ORDER BY measured_at",
        (ids,),
    ).fetchall())


def history(conn: psycopg.Connection, patient_id: int, codes: set[str], since: datetime) -> list[Reading]:
    """Every reading of these measurements measured after ``since``, including ones newer than the batch."""
    loincs = [CODES[c].loinc for c in codes if c in CODES and CODES[c].loinc]
    return _readings(conn.execute(
        "SELECT id, code, value, unit, measured_at, received_at FROM observations"
        " WHERE patient_id = %s AND code = ANY(%s) AND measured_at > %s ORDER BY measured_at",
        (patient_id, loincs, since),
    ).fetchall())


_LIVE = "SELECT id, rule, code, severity, status, observed_at, evidence FROM alerts"


def live_alert(conn: psycopg.Connection, patient_id: int, rule: str, code: str) -> LiveAlert | None:
    row = conn.execute(_LIVE + " WHERE patient_id = %s AND rule = %s AND code = %s AND status <> 'resolved'",
                       (patient_id, rule, code)).fetchone()
    if row is None:
        return None
    return LiveAlert(row[0], row[1], row[2], row[3], row[4], row[5], tuple(row[6]))


def live_alerts(conn: psycopg.Connection, patient_id: int, rule: str) -> list[LiveAlert]:
    rows = conn.execute(_LIVE + " WHERE patient_id = %s AND rule = %s AND status <> 'resolved'",
                        (patient_id, rule)).fetchall()
    return [LiveAlert(r[0], r[1], r[2], r[3], r[4], r[5], tuple(r[6])) for r in rows]


def recently_resolved(conn: psycopg.Connection, patient_id: int, rule: str, code: str,
                      since: datetime) -> Severity | None:
    """The severity of the latest alert on this rule and measurement that a clinician resolved after ``since``."""
    row = conn.execute(
        "SELECT severity FROM alerts WHERE patient_id = %s AND rule = %s AND code = %s AND status = 'resolved'"
        " AND outcome IS DISTINCT FROM 'normalised' AND resolved_at > %s ORDER BY resolved_at DESC LIMIT 1",
        (patient_id, rule, code, since),
    ).fetchone()
    return row[0] if row else None


def _notify(conn: psycopg.Connection, alert_id: int, patient_id: int, event: str) -> None:
    payload = json.dumps({"alert_id": alert_id, "patient_id": patient_id, "event": event})
    conn.execute("SELECT pg_notify('nearcare_alerts', %s)", (payload,))


def apply(conn: psycopg.Connection, patient_id: int, action: Action) -> int:
    """Write one action; returns the alert id."""
    if isinstance(action, Open):
        f = action.finding
        row = conn.execute(
            "INSERT INTO alerts (patient_id, rule, code, severity, observed_at, value, explanation, evidence, late)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            (patient_id, f.rule, f.code, f.severity, f.reading.measured_at, f.reading.value,
             Jsonb(localise(f.explanation)), [f.reading.id], f.late),
        ).fetchone()
        assert row is not None
        _notify(conn, row[0], patient_id, "opened")
        return int(row[0])
    if isinstance(action, Update):
        f = action.finding
        current = conn.execute("SELECT severity, explanation FROM alerts WHERE id = %s",
                               (action.alert_id,)).fetchone()
        assert current is not None
        old_severity, explanation = current
        merged = {(v["at"], v["value"]): v for v in [*explanation.get("values", []),
                                                     *f.explanation.get("values", [])]}  # type: ignore[misc]
        values = sorted(merged.values(), key=lambda v: v["at"])
        if SEVERITY_RANK[f.severity] >= SEVERITY_RANK[old_severity]:
            explanation = dict(f.explanation)
        explanation["values"] = values[-MAX_VALUES_SHOWN:]
        conn.execute(
            "UPDATE alerts SET severity = %s, explanation = %s, updated_at = now(),"
            " observed_at = greatest(observed_at, %s),"
            " value = CASE WHEN %s > observed_at THEN %s ELSE value END,"
            " evidence = array_append(evidence, %s), late = late OR %s,"
            # worse news wakes a snoozed alert
            " snoozed_until = CASE WHEN %s THEN NULL ELSE snoozed_until END WHERE id = %s",
            (action.severity, Jsonb(localise(explanation)), f.reading.measured_at, f.reading.measured_at,
             f.reading.value, f.reading.id, f.late, SEVERITY_RANK[action.severity] > SEVERITY_RANK[old_severity],
             action.alert_id),
        )
        _notify(conn, action.alert_id, patient_id, "updated")
        return action.alert_id
    assert isinstance(action, AutoResolve)
    conn.execute(
        "UPDATE alerts SET status = 'resolved', resolved_at = now(), outcome = 'normalised', updated_at = now()"
        " WHERE id = %s",
        (action.alert_id,),
    )
    _notify(conn, action.alert_id, patient_id, "resolved")
    return action.alert_id


def threshold_overrides(conn: psycopg.Connection, patient_id: int) -> dict[str, Bands]:
    """A clinician's active per-patient ranges, by measurement key; each replaces the programme defaults."""
    rows = conn.execute(
        "SELECT code, red_low, yellow_low, yellow_high, red_high FROM threshold_overrides"
        " WHERE patient_id = %s AND ended_at IS NULL",
        (patient_id,),
    ).fetchall()
    return {code: Bands(red_low=rl, yellow_low=yl, yellow_high=yh, red_high=rh) for code, rl, yl, yh, rh in rows}
