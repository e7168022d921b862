"""The alert core's thin store: claim queued readings, lock the patient, apply rule actions, notify."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg.types.json import Jsonb

from alerts.consolidate import carry_also, merged_explanation
from alerts.explain import localise
from alerts.model import SEVERITY_RANK, Action, AutoResolve, Fold, LiveAlert, Open, Reading, Severity, Update
from alerts.priority import RiskFactors
from alerts.thresholds import Bands
from device_profiles.codes import BY_LOINC, CODES

MAX_VALUES_SHOWN = 10


@dataclass(frozen=True)
class PatientContext:
    id: int
    conditions: tuple[str, ...]
    status: str


# A queue row holds the readings of one patient from one ingest batch, so a row limit alone would not bound the
# readings taken. `head` counts, without locking, how many rows at the head of the queue make up `limit`
# readings; that many unlocked rows are locked (rows other workers hold are skipped); of those, rows are taken
# while fewer than `limit` readings precede them, so at least one row always goes and at most one row's worth
# beyond `limit`.
_CLAIM = """
WITH head AS (
    SELECT count(*) AS n FROM (
        SELECT sum(cardinality(observation_ids)) OVER (ORDER BY id) - cardinality(observation_ids) AS before
        FROM (SELECT id, observation_ids FROM alert_queue ORDER BY id LIMIT %(limit)s) AS h
    ) AS s WHERE before < %(limit)s
), locked AS (
    SELECT id, cardinality(observation_ids) AS n FROM alert_queue ORDER BY id
    FOR UPDATE SKIP LOCKED LIMIT (SELECT n FROM head)
), taken AS (
    SELECT id FROM (SELECT id, sum(n) OVER (ORDER BY id) - n AS before FROM locked) AS s WHERE before < %(limit)s
)
DELETE FROM alert_queue AS q USING taken WHERE q.id = taken.id RETURNING q.id, q.patient_id, q.observation_ids
"""


def claim(conn: psycopg.Connection, limit: int = 1000) -> dict[int, list[uuid.UUID]]:
    """Take about ``limit`` queued readings, by patient, in queue order (other workers skip them); rolled back
    with the caller's transaction."""
    rows = conn.execute(_CLAIM, {"limit": limit}).fetchall()
    by_patient: dict[int, list[uuid.UUID]] = defaultdict(list)
    for _, patient_id, obs_ids in sorted(rows):
        by_patient[patient_id].extend(obs_ids)
    return dict(by_patient)


def queue_depth(conn: psycopg.Connection) -> int:
    """Readings waiting for the alert core (not queue rows: a row holds a batch's readings of one patient)."""
    row = conn.execute("SELECT coalesce(sum(cardinality(observation_ids)), 0) FROM alert_queue").fetchone()
    conn.commit()
    return int(row[0]) if row else 0


def lock_patient(conn: psycopg.Connection, patient_id: int) -> None:
    # Class 1 = per-patient evaluation; released at commit.
    conn.execute("SELECT pg_advisory_xact_lock(1, %s)", (patient_id,))


def lock_patients(conn: psycopg.Connection, patient_ids: list[int]) -> None:
    """Every patient's evaluation lock in one round trip, taken in ascending id order (no deadlock between workers)."""
    conn.execute("SELECT count(pg_advisory_xact_lock(1, p)) FROM (SELECT unnest(%s::int4[]) AS p ORDER BY 1) AS s",
                 (sorted(set(patient_ids)),))


EVALUATIONS_LOGGED = 8  # evaluations per patient whose observation ids alert_evaluations keeps

_BUMP = """
WITH claimed AS (
    SELECT p, array_agg(i) AS ids FROM unnest(%(patients)s::int4[], %(ids)s::uuid[]) AS c(p, i) GROUP BY p
)
INSERT INTO alert_evaluations AS e (patient_id, seq, log_ids, log_seqs)
SELECT c.p, 1, c.ids, array_fill(1::bigint, ARRAY[cardinality(c.ids)])
FROM claimed AS c JOIN patients AS pt ON pt.id = c.p ORDER BY c.p
ON CONFLICT (patient_id) DO UPDATE SET
    seq = e.seq + 1,
    log_ids = ARRAY(SELECT l.i FROM unnest(e.log_ids, e.log_seqs) AS l(i, s) WHERE l.s > e.seq - %(kept)s)
              || EXCLUDED.log_ids,
    log_seqs = ARRAY(SELECT l.s FROM unnest(e.log_ids, e.log_seqs) AS l(i, s) WHERE l.s > e.seq - %(kept)s)
               || array_fill(e.seq + 1, ARRAY[cardinality(EXCLUDED.log_ids)])
RETURNING patient_id, seq
"""


def bump_evaluations(conn: psycopg.Connection, claimed: dict[int, list[uuid.UUID]]) -> dict[int, int]:
    """Count one more evaluation of each patient and log the observations it took, in one statement; returns
    each patient's new sequence number.

    Call under the patients' locks, inside the evaluation's transaction: a history cached by a worker is then
    still complete exactly when the number before this bump is the one its own last evaluation committed, and
    ``evaluated_since`` names what it lacks otherwise (alerts.cache). Patients that do not exist are left out."""
    pairs = [(p, o) for p, os in claimed.items() for o in os]
    rows = conn.execute(_BUMP, {"patients": [p for p, _ in pairs], "ids": [o for _, o in pairs],
                                "kept": EVALUATIONS_LOGGED - 1}).fetchall()
    return {int(p): int(seq) for p, seq in rows}


def evaluated_since(conn: psycopg.Connection, after: dict[int, tuple[int, int]]) -> dict[int, list[uuid.UUID]]:
    """Per patient, the observations that evaluations numbered ``first < seq <= last`` took, for
    ``after[patient] = (first, last)``; a patient whose log no longer reaches back that far is left out."""
    rows = conn.execute("SELECT patient_id, log_ids, log_seqs FROM alert_evaluations"
                        " WHERE patient_id = ANY(%s::int4[])", (list(after),)).fetchall()
    out: dict[int, list[uuid.UUID]] = {}
    for pid, ids, seqs in rows:
        first, last = after[pid]
        if set(range(first + 1, last + 1)) <= set(seqs):  # every evaluation since is logged, not only some
            out[pid] = [i for i, s in zip(ids, seqs, strict=True) if first < s <= last]
    return out


def evaluations(conn: psycopg.Connection, patient_ids: list[int]) -> dict[int, int]:
    """Each patient's current evaluation sequence number (patients never evaluated are left out: 0)."""
    rows = conn.execute("SELECT patient_id, seq FROM alert_evaluations WHERE patient_id = ANY(%s::int4[])",
                        (patient_ids,)).fetchall()
    return {int(p): int(seq) for p, seq in rows}


def patients(conn: psycopg.Connection, patient_ids: list[int]) -> dict[int, PatientContext]:
    rows = conn.execute("SELECT id, conditions, status FROM patients WHERE id = ANY(%s::int4[])",
                        (patient_ids,)).fetchall()
    return {row[0]: PatientContext(row[0], tuple(row[1]), row[2]) for row in rows}


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
        " WHERE patient_id = %s AND code = ANY(%s) AND measured_at > %s ORDER BY measured_at, id",
        (patient_id, loincs, since),
    ).fetchall())


def histories(conn: psycopg.Connection, since: dict[int, tuple[set[str], datetime]]) -> dict[int, list[Reading]]:
    """``history`` for several patients in one query: per patient, its measurements and its ``since``; readings
    taken at the same instant in id order (as History sorts them)."""
    if not since:
        return {}
    codes = {c for cs, _ in since.values() for c in cs}
    loincs = [CODES[c].loinc for c in codes if c in CODES and CODES[c].loinc]
    with conn.cursor(binary=True) as cur:  # binary rows: far cheaper to load than text for many rows
        rows = cur.execute(
            "SELECT patient_id, id, code, value, unit, measured_at, received_at FROM observations"
            " WHERE patient_id = ANY(%s::int4[]) AND code = ANY(%s) AND measured_at > %s ORDER BY measured_at, id",
            (list(since), loincs, min(at for _, at in since.values())),
        ).fetchall()
    out: dict[int, list[Reading]] = {p: [] for p in since}
    units: dict[str, str] = {}  # one string per unit: a worker's cache holds many of these readings
    for pid, obs_id, loinc, value, unit, measured_at, received_at in rows:
        code = BY_LOINC.get(loinc)
        if code is None:
            continue
        wanted, after = since[pid]
        if code.key in wanted and measured_at > after:
            unit = units.setdefault(unit, unit)
            out[pid].append(Reading(obs_id, code.key, value, unit, measured_at, received_at))
    return out


def previous(conn: psycopg.Connection, patient_id: int, reading: Reading) -> Reading | None:
    """The patient's reading of the same measurement measured just before this one."""
    code = CODES.get(reading.code)
    if code is None or not code.loinc:
        return None
    rows = _readings(conn.execute(
        "SELECT id, code, value, unit, measured_at, received_at FROM observations"
        " WHERE patient_id = %s AND code = %s AND measured_at < %s ORDER BY measured_at DESC LIMIT 1",
        (patient_id, code.loinc, reading.measured_at)).fetchall())
    return rows[0] if rows else None


_LIVE = ("SELECT id, rule, code, severity, status, observed_at, evidence,"
         " coalesce(jsonb_path_query_array(explanation, '$.also[*] ? (@.reading != null)'), '[]')"
         " FROM alerts")


def _live(row: tuple[object, ...]) -> LiveAlert:
    also = row[7] if isinstance(row[7], list) else []
    folded = frozenset((str(a.get("rule")), str(a.get("code")), str(a.get("reading")))
                       for a in also if isinstance(a, dict))
    return LiveAlert(row[0], row[1], row[2], row[3], row[4], row[5], tuple(row[6]), folded)  # type: ignore[arg-type]


def live_alert(conn: psycopg.Connection, patient_id: int, rule: str, code: str) -> LiveAlert | None:
    row = conn.execute(_LIVE + " WHERE patient_id = %s AND rule = %s AND code = %s AND status <> 'resolved'",
                       (patient_id, rule, code)).fetchone()
    return _live(row) if row is not None else None


def live_alerts(conn: psycopg.Connection, patient_id: int, rule: str | None = None) -> list[LiveAlert]:
    """The patient's live alerts of one rule, or of every rule."""
    rows = conn.execute(_LIVE + " WHERE patient_id = %s AND (%s::text IS NULL OR rule = %s)"
                        " AND status <> 'resolved' ORDER BY id", (patient_id, rule, rule)).fetchall()
    return [_live(r) for r in rows]


def live_alerts_of(conn: psycopg.Connection, patient_ids: list[int]) -> dict[int, list[LiveAlert]]:
    """Every live alert of these patients, per patient, in id order (as ``live_alerts``)."""
    rows = conn.execute(_LIVE.replace("SELECT ", "SELECT patient_id, ", 1)
                        + " WHERE patient_id = ANY(%s::int4[]) AND status <> 'resolved' ORDER BY id",
                        (patient_ids,)).fetchall()
    out: dict[int, list[LiveAlert]] = {p: [] for p in patient_ids}
    for row in rows:
        out.setdefault(row[0], []).append(_live(row[1:]))
    return out


def recently_resolved(conn: psycopg.Connection, patient_id: int, rule: str, code: str,
                      since: datetime) -> Severity | None:
    """The severity of the latest alert on this rule and measurement that a clinician resolved after ``since``,
    counting alerts this rule's finding was folded into (alerts.consolidate)."""
    row = conn.execute(
        "SELECT severity FROM alerts WHERE patient_id = %s AND status = 'resolved'"
        " AND outcome IS DISTINCT FROM 'normalised' AND resolved_at > %s"
        " AND ((rule = %s AND code = %s)"
        "      OR explanation->'also' @> jsonb_build_array(jsonb_build_object('rule', %s::text, 'code', %s::text)))"
        " ORDER BY resolved_at DESC LIMIT 1",
        (patient_id, since, rule, code, rule, code),
    ).fetchone()
    return row[0] if row else None


@dataclass(frozen=True)
class Resolved:
    """An alert a clinician resolved: its rule and measurement, and those of the findings folded into it."""

    severity: Severity
    resolved_at: datetime
    keys: frozenset[tuple[str, str]]


def resolved_since(conn: psycopg.Connection, patient_ids: list[int], since: datetime) -> dict[int, list[Resolved]]:
    """What ``recently_resolved`` looks at, for several patients in one query."""
    rows = conn.execute(
        "SELECT patient_id, severity, resolved_at, rule, code, explanation->'also' FROM alerts"
        " WHERE patient_id = ANY(%s::int4[]) AND status = 'resolved'"
        " AND outcome IS DISTINCT FROM 'normalised' AND resolved_at > %s",
        (patient_ids, since),
    ).fetchall()
    out: dict[int, list[Resolved]] = {p: [] for p in patient_ids}
    for pid, severity, resolved_at, rule, code, also in rows:
        keys = {(rule, code)}
        for a in also if isinstance(also, list) else ():
            if isinstance(a, dict) and isinstance(a.get("rule"), str) and isinstance(a.get("code"), str):
                keys.add((a["rule"], a["code"]))
        out.setdefault(pid, []).append(Resolved(severity, resolved_at, frozenset(keys)))
    return out


def latest_resolved(resolved: list[Resolved], rule: str, code: str, since: datetime) -> Severity | None:
    """``recently_resolved`` over rows read by ``resolved_since``."""
    hits = [r for r in resolved if r.resolved_at > since and (rule, code) in r.keys]
    return max(hits, key=lambda r: r.resolved_at).severity if hits else None


def _notify(conn: psycopg.Connection, alert_id: int, patient_id: int, event: str) -> None:
    payload = json.dumps({"alert_id": alert_id, "patient_id": patient_id, "event": event})
    conn.execute("SELECT pg_notify('nearcare_alerts', %s)", (payload,))


def _written(conn: psycopg.Connection, statement: str, params: tuple[object, ...], event: str) -> int | None:
    """Run an INSERT or UPDATE … RETURNING id, patient_id and notify about the row in the same round trip
    (the payload is what ``_notify`` sends); returns the alert id."""
    row = conn.execute(
        f"WITH done AS ({statement}) SELECT id, pg_notify('nearcare_alerts', format("
        f"'{{\"alert_id\": %%s, \"patient_id\": %%s, \"event\": \"{event}\"}}', id, patient_id)) FROM done",
        params).fetchone()
    return int(row[0]) if row else None


def _fold(conn: psycopg.Connection, action: Fold, priority: int) -> int:
    f = action.finding
    current = conn.execute("SELECT severity, explanation FROM alerts WHERE id = %s", (action.alert_id,)).fetchone()
    assert current is not None
    old_severity, explanation = current
    worse = SEVERITY_RANK[f.severity] > SEVERITY_RANK[old_severity]
    _written(conn,
             "UPDATE alerts SET severity = %s, explanation = %s, updated_at = clock_timestamp(), late = late OR %s,"
             " priority = greatest(priority, %s), snoozed_until = CASE WHEN %s THEN NULL ELSE snoozed_until END"
             " WHERE id = %s RETURNING id, patient_id",
             (f.severity if worse else old_severity, Jsonb(localise(merged_explanation(explanation, f))), f.late,
              priority, worse, action.alert_id), "updated")
    return action.alert_id


def apply(conn: psycopg.Connection, patient_id: int, action: Action, priority: int = 0) -> int:
    """Write one action and its notification; returns the alert id. Times are clock_timestamp(): when the row
    was written."""
    if isinstance(action, Fold):
        return _fold(conn, action, priority)
    if isinstance(action, Open):
        f = action.finding
        opened = _written(
            conn,
            "INSERT INTO alerts (patient_id, rule, code, severity, observed_at, value, explanation, evidence, late,"
            " priority, opened_at, updated_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, clock_timestamp(), clock_timestamp())"
            " RETURNING id, patient_id",
            (patient_id, f.rule, f.code, f.severity, f.reading.measured_at, f.reading.value,
             Jsonb(localise(f.explanation)), [f.reading.id], f.late, priority), "opened")
        assert opened is not None
        return opened
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
            explanation = carry_also(explanation, dict(f.explanation))
        explanation["values"] = values[-MAX_VALUES_SHOWN:]
        _written(
            conn,
            "UPDATE alerts SET severity = %s, explanation = %s, updated_at = clock_timestamp(),"
            " priority = greatest(priority, %s),"
            " observed_at = greatest(observed_at, %s),"
            " value = CASE WHEN %s > observed_at THEN %s ELSE value END,"
            " evidence = array_append(evidence, %s), late = late OR %s,"
            # worse news wakes a snoozed alert
            " snoozed_until = CASE WHEN %s THEN NULL ELSE snoozed_until END WHERE id = %s RETURNING id, patient_id",
            (action.severity, Jsonb(localise(explanation)), priority, f.reading.measured_at, f.reading.measured_at,
             f.reading.value, f.reading.id, f.late, SEVERITY_RANK[action.severity] > SEVERITY_RANK[old_severity],
             action.alert_id), "updated")
        return action.alert_id
    assert isinstance(action, AutoResolve)
    _written(conn,
             "UPDATE alerts SET status = 'resolved', resolved_at = clock_timestamp(), outcome = 'normalised',"
             " updated_at = clock_timestamp() WHERE id = %s RETURNING id, patient_id",
             (action.alert_id,), "resolved")
    return action.alert_id


def risk_factors(conn: psycopg.Connection, patient_id: int) -> RiskFactors:
    """The patient's risk factors for alerts.priority; discharges come from the admissions table where it exists."""
    row = conn.execute("SELECT lives_alone, cardinality(conditions), birth_year FROM patients WHERE id = %s",
                       (patient_id,)).fetchone()
    if row is None:
        return RiskFactors()
    discharged = None
    if conn.execute("SELECT to_regclass('admissions') IS NOT NULL").fetchone() == (True,):
        got = conn.execute("SELECT max(discharged_at) FROM admissions WHERE patient_id = %s",
                           (patient_id,)).fetchone()
        discharged = got[0] if got else None
    return RiskFactors(bool(row[0]), int(row[1] or 0), discharged, row[2])


def risk_factors_of(conn: psycopg.Connection, patient_ids: list[int]) -> dict[int, RiskFactors]:
    """``risk_factors`` for several patients in one query (two where the admissions table exists)."""
    rows = conn.execute("SELECT id, lives_alone, cardinality(conditions), birth_year FROM patients"
                        " WHERE id = ANY(%s::int4[])", (patient_ids,)).fetchall()
    discharged: dict[int, datetime | None] = {}
    if rows and conn.execute("SELECT to_regclass('admissions') IS NOT NULL").fetchone() == (True,):
        discharged = dict(conn.execute("SELECT patient_id, max(discharged_at) FROM admissions"
                                       " WHERE patient_id = ANY(%s::int4[]) GROUP BY patient_id",
                                       (patient_ids,)).fetchall())
    return {pid: RiskFactors(bool(alone), int(n or 0), discharged.get(pid), born) for pid, alone, n, born in rows}


def threshold_overrides(conn: psycopg.Connection, patient_id: int) -> dict[str, Bands]:
    """A clinician's active per-patient ranges, by measurement key; each replaces the programme defaults."""
    rows = conn.execute(
        "SELECT code, red_low, yellow_low, yellow_high, red_high FROM threshold_overrides"
        " WHERE patient_id = %s AND ended_at IS NULL",
        (patient_id,),
    ).fetchall()
    return {code: Bands(red_low=rl, yellow_low=yl, yellow_high=yh, red_high=rh) for code, rl, yl, yh, rh in rows}


def threshold_overrides_of(conn: psycopg.Connection, patient_ids: list[int]) -> dict[int, dict[str, Bands]]:
    """``threshold_overrides`` for several patients in one query."""
    rows = conn.execute(
        "SELECT patient_id, code, red_low, yellow_low, yellow_high, red_high FROM threshold_overrides"
        " WHERE patient_id = ANY(%s::int4[]) AND ended_at IS NULL",
        (patient_ids,),
    ).fetchall()
    out: dict[int, dict[str, Bands]] = {p: {} for p in patient_ids}
    for pid, code, rl, yl, yh, rh in rows:
        out.setdefault(pid, {})[code] = Bands(red_low=rl, yellow_low=yl, yellow_high=yh, red_high=rh)
    return out
