"""The alert core against real PostgreSQL: queue, per-patient evaluation, one live alert, notifications."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import psycopg

from alerts.engine import run_once
from tests.support.platform import make_patient

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)


def _insert(conn: psycopg.Connection, patient: int, loinc: str, value: float, minutes: int,
            obs_id: uuid.UUID | None = None, unit: str = "mm[Hg]") -> uuid.UUID:
    """Write one observation the way ingest does: the row and its queue entry in one transaction."""
    obs_id = obs_id or uuid.uuid4()
    inserted = conn.execute(
        "INSERT INTO observations (id, patient_id, code, value, unit, measured_at, received_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, now()) ON CONFLICT DO NOTHING RETURNING id",
        (obs_id, patient, loinc, value, unit, T0 + timedelta(minutes=minutes)),
    ).fetchone()
    if inserted:
        conn.execute("INSERT INTO alert_queue (patient_id, observation_ids) VALUES (%s, %s)", (patient, [obs_id]))
    conn.commit()
    return obs_id


def _alerts(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute("SELECT rule, code, severity, status, value, cardinality(evidence) FROM alerts"
                        " ORDER BY id").fetchall()


def test_one_live_alert_per_patient_rule_and_measurement(database_url: str) -> None:
    patient, _, _ = make_patient(database_url)
    with psycopg.connect(database_url) as conn:
        _insert(conn, patient, "8480-6", 186, 0)
        _insert(conn, patient, "8480-6", 165, 10)
        _insert(conn, patient, "8462-4", 80, 10)
        assert run_once(conn) == 3
        assert _alerts(conn) == [("threshold", "bp_systolic", "red", "open", 165, 2)]
        explanation = conn.execute("SELECT explanation FROM alerts").fetchone()[0]
        assert [v["value"] for v in explanation["values"]] == [186, 165]
        assert "186" in explanation["text"]["da"]


def test_redelivery_and_replay_never_raise_twice(database_url: str) -> None:
    patient, _, _ = make_patient(database_url)
    with psycopg.connect(database_url) as conn:
        obs = _insert(conn, patient, "8480-6", 190, 0)
        run_once(conn)
        _insert(conn, patient, "8480-6", 190, 0, obs_id=obs)  # same id again: the row is not re-queued
        conn.execute("INSERT INTO alert_queue (patient_id, observation_ids) VALUES (%s, %s)", (patient, [obs]))
        conn.commit()  # even a replayed queue entry counts once
        run_once(conn)
        assert _alerts(conn) == [("threshold", "bp_systolic", "red", "open", 190, 1)]


def test_alert_changes_are_notified_after_commit(database_url: str) -> None:
    patient, _, _ = make_patient(database_url)
    with psycopg.connect(database_url, autocommit=True) as listen, psycopg.connect(database_url) as conn:
        listen.execute("LISTEN nearcare_alerts")
        _insert(conn, patient, "8480-6", 185, 0)
        _insert(conn, patient, "8480-6", 165, 5)
        run_once(conn)
        events = [json.loads(n.payload) for n in listen.notifies(timeout=2, stop_after=2)]
        assert [e["event"] for e in events] == ["opened", "updated"]
        assert {e["patient_id"] for e in events} == {patient}


def test_suppressed_while_admitted(database_url: str) -> None:
    patient, _, _ = make_patient(database_url)
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE patients SET status = 'admitted' WHERE id = %s", (patient,))
        _insert(conn, patient, "8480-6", 200, 0)
        assert run_once(conn) == 1
        assert _alerts(conn) == []


def test_two_workers_split_the_queue_without_doubling(database_url: str) -> None:
    patients = [make_patient(database_url)[0] for _ in range(4)]
    with psycopg.connect(database_url) as a, psycopg.connect(database_url) as b:
        for p in patients:
            for i in range(5):
                _insert(a, p, "8480-6", 181 + i, i)
        with a.transaction():
            from alerts import store

            claimed_a = store.claim(a, limit=10)
            claimed_b = store.claim(b, limit=100)  # skips the rows a holds
            b.commit()
        assert sum(map(len, claimed_a.values())) == 10
        assert sum(map(len, claimed_b.values())) == 10
        assert not set(map(tuple, claimed_a.values())) & set(map(tuple, claimed_b.values()))


def test_a_clinicians_override_replaces_the_programme_ranges(database_url: str) -> None:
    patient, _, org = make_patient(database_url, conditions=("copd",))
    with psycopg.connect(database_url) as conn:
        user = conn.execute("INSERT INTO users (username, password_hash, display_name, role, organisation_id)"
                            " VALUES ('gp', 'x', 'GP', 'gp', %s) RETURNING id", (org,)).fetchone()[0]
        # This patient's habitual SpO2 is 86-87 %: the GP moves the limits down.
        conn.execute("INSERT INTO threshold_overrides (patient_id, code, red_low, yellow_low, reason, set_by)"
                     " VALUES (%s, 'spo2', 84, 85, 'habitual SpO2 86-87 %%', %s)", (patient, user))
        conn.commit()
        _insert(conn, patient, "59408-5", 86, 0, unit="%")
        run_once(conn)
        assert _alerts(conn) == []
        _insert(conn, patient, "59408-5", 83, 10, unit="%")
        run_once(conn)
        assert [a[:3] for a in _alerts(conn)] == [("threshold", "spo2", "red")]
        text = conn.execute("SELECT explanation FROM alerts").fetchone()[0]["text"]["en"]
        assert "red limit 84" in text


def test_one_batch_over_many_patients_judges_each_as_alone(database_url: str) -> None:
    """The batch reads every claimed patient at once; each patient's verdicts stay their own."""
    plain, admitted, handled, twice = (make_patient(database_url)[0] for _ in range(4))
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE patients SET status = 'admitted' WHERE id = %s", (admitted,))
        _insert(conn, handled, "8480-6", 190, 0)
        run_once(conn)
        conn.execute("UPDATE alerts SET status = 'resolved', resolved_at = now(), outcome = 'home_visit'"
                     " WHERE patient_id = %s", (handled,))
        conn.commit()
        _insert(conn, plain, "8480-6", 190, 10)
        _insert(conn, admitted, "8480-6", 200, 10)
        _insert(conn, handled, "8480-6", 188, 10)  # just handled by a clinician and no worse: quiet
        _insert(conn, twice, "8480-6", 186, 10)
        _insert(conn, twice, "8480-6", 182, 20)  # the second red of the batch updates the alert the first opened
        assert run_once(conn) == 5
        rows = conn.execute("SELECT patient_id, rule, code, severity, status, cardinality(evidence) FROM alerts"
                            " ORDER BY patient_id, id").fetchall()
        assert rows == sorted([(plain, "threshold", "bp_systolic", "red", "open", 1),
                               (handled, "threshold", "bp_systolic", "red", "resolved", 1),
                               (twice, "threshold", "bp_systolic", "red", "open", 2)])
