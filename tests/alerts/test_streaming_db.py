"""Streaming semantics against real PostgreSQL: redelivery, out-of-order, a late backlog, lifecycle and escalation."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from alerts import lifecycle_store
from alerts.engine import run_once
from alerts.lifecycle import EscalationPolicy, TransitionError
from tests.support.platform import make_patient

NOW = datetime.now(UTC).replace(microsecond=0)
WEIGHT, SYS, DIA = "29463-7", "8480-6", "8462-4"
UNITS = {WEIGHT: "kg", SYS: "mm[Hg]", DIA: "mm[Hg]"}


def put(conn: psycopg.Connection, patient: int, loinc: str, value: float, measured: datetime,
        received: datetime | None = None, obs_id: uuid.UUID | None = None) -> uuid.UUID:
    """One observation and its queue entry, as ingest writes them (not committed)."""
    obs_id = obs_id or uuid.uuid4()
    conn.execute("INSERT INTO observations (id, patient_id, code, value, unit, measured_at, received_at)"
                 " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                 (obs_id, patient, loinc, value, UNITS[loinc], measured, received or measured))
    conn.execute("INSERT INTO alert_queue (patient_id, observation_ids) VALUES (%s, %s)", (patient, [obs_id]))
    return obs_id


def weights(conn: psycopg.Connection, patient: int, days: int, *, end: datetime, base: float = 80.0) -> None:
    for i in range(days):
        put(conn, patient, WEIGHT, base + (0.1 if i % 2 else -0.1), end - timedelta(days=days - i))
    conn.commit()


def alerts(conn: psycopg.Connection) -> list[tuple]:
    return conn.execute("SELECT rule, code, severity, status, late FROM alerts ORDER BY rule, code").fetchall()


def test_late_backlog_raises_one_alert_per_rule_marked_late(database_url: str) -> None:
    patient, _, _ = make_patient(database_url)
    with psycopg.connect(database_url) as conn:
        weights(conn, patient, 30, end=NOW - timedelta(days=2))
        run_once(conn)
        assert alerts(conn) == []
        # The gateway was offline for two days; now it uploads 2 days of weights and crisis blood pressures.
        for d, w in ((2, 81.2), (1.5, 82.0), (1, 82.6), (0.5, 83.1)):
            at = NOW - timedelta(days=d)
            put(conn, patient, WEIGHT, w, at, NOW)
            put(conn, patient, SYS, 186 + d, at, NOW)
            put(conn, patient, DIA, 95, at, NOW)
        conn.commit()
        run_once(conn)
        rows = alerts(conn)
        assert ("hf_weight", "body_weight", "red", "open", True) in rows
        assert ("threshold", "bp_systolic", "red", "open", True) in rows
        assert len([r for r in rows if r[0] == "hf_weight"]) == 1
        assert len([r for r in rows if r[0] == "threshold"]) == 1
        text = conn.execute("SELECT explanation FROM alerts WHERE rule = 'hf_weight'").fetchone()[0]["text"]
        assert "Late data" in text["en"] and "Forsinkede data" in text["da"]


def test_redelivered_trend_evidence_never_raises_twice(database_url: str) -> None:
    patient, _, _ = make_patient(database_url)
    with psycopg.connect(database_url) as conn:
        weights(conn, patient, 20, end=NOW - timedelta(days=1))
        gain = put(conn, patient, WEIGHT, 82.6, NOW - timedelta(hours=1))
        conn.commit()
        run_once(conn)
        before = conn.execute("SELECT id, evidence, updated_at FROM alerts").fetchall()
        assert len(before) == 1
        put(conn, patient, WEIGHT, 82.6, NOW - timedelta(hours=1), obs_id=gain)  # replayed: queued again
        conn.commit()
        run_once(conn)
        assert conn.execute("SELECT id, evidence, updated_at FROM alerts").fetchall() == before


def _final_alerts(database_url: str, order: list[int]) -> list[tuple]:
    patient, _, _ = make_patient(database_url, org_name=f"Team {uuid.uuid4().hex[:6]}")
    values = [80.0, 80.1, 79.9, 80.0, 80.2, 81.0, 81.8, 82.5]
    with psycopg.connect(database_url) as conn:
        weights(conn, patient, 20, end=NOW - timedelta(days=8))
        run_once(conn)
        for i in order:  # each reading arrives in its own batch, in the given order
            put(conn, patient, WEIGHT, values[i], NOW - timedelta(days=7 - i))
            conn.commit()
            run_once(conn)
        return conn.execute("SELECT rule, code, status FROM alerts WHERE patient_id = %s AND status <> 'resolved'"
                            " ORDER BY rule, code", (patient,)).fetchall()


def test_out_of_order_arrival_ends_in_the_same_live_alerts(database_url: str) -> None:
    in_order = _final_alerts(database_url, list(range(8)))
    shuffled = _final_alerts(database_url, [3, 7, 0, 5, 1, 6, 2, 4])
    assert in_order == shuffled
    assert ("hf_weight", "body_weight", "open") in shuffled


def test_resolved_by_clinician_stays_quiet_until_worse(database_url: str) -> None:
    patient, _, _ = make_patient(database_url, conditions=("diabetes",))
    with psycopg.connect(database_url) as conn:
        user = conn.execute("INSERT INTO users (username, password_hash, display_name, role)"
                            " VALUES ('n1', 'x', 'Nurse', 'nurse') RETURNING id").fetchone()[0]
        weights(conn, patient, 20, end=NOW - timedelta(days=1))
        put(conn, patient, WEIGHT, 82.6, NOW - timedelta(hours=3))
        conn.commit()
        run_once(conn)
        (alert_id,) = conn.execute("SELECT id FROM alerts WHERE rule = 'hf_weight'").fetchone() or (None,)
        assert alert_id is None  # diabetes programme only: no heart-failure rule
        conn.execute("UPDATE patients SET conditions = '{heart_failure}' WHERE id = %s", (patient,))
        put(conn, patient, WEIGHT, 82.7, NOW - timedelta(hours=2))
        conn.commit()
        run_once(conn)
        (alert_id,) = conn.execute("SELECT id FROM alerts WHERE rule = 'hf_weight'").fetchone()
        lifecycle_store.resolve(conn, alert_id, user, "contacted_patient")
        conn.commit()
        put(conn, patient, WEIGHT, 82.8, NOW - timedelta(hours=1))
        conn.commit()
        run_once(conn)
        assert conn.execute("SELECT count(*) FROM alerts WHERE rule = 'hf_weight'").fetchone()[0] == 1


def test_escalation_with_an_injected_clock(database_url: str) -> None:
    patient, _, org = make_patient(database_url)
    with psycopg.connect(database_url, autocommit=True) as listen, psycopg.connect(database_url) as conn:
        acute = conn.execute("INSERT INTO organisations (name, kind) VALUES ('Akutteam', 'acute_team')"
                             " RETURNING id").fetchone()[0]
        put(conn, patient, SYS, 195, NOW - timedelta(minutes=1))
        conn.commit()
        run_once(conn)
        listen.execute("LISTEN nearcare_alerts")
        policy = EscalationPolicy((("acute_team", timedelta(minutes=30)), ("gp", timedelta(hours=2))))
        opened = conn.execute("SELECT opened_at FROM alerts").fetchone()[0]
        assert lifecycle_store.sweep(conn, policy, lambda: opened + timedelta(minutes=29))["escalated"] == 0
        assert lifecycle_store.sweep(conn, policy, lambda: opened + timedelta(minutes=31))["escalated"] == 1
        assert lifecycle_store.sweep(conn, policy, lambda: opened + timedelta(minutes=32))["escalated"] == 0
        conn.commit()
        row = conn.execute("SELECT responsible_role, responsible_org_id, escalation_level, escalated_at IS NOT NULL"
                           " FROM alerts").fetchone()
        assert row == ("acute_team", acute, 1, True)
        assert lifecycle_store.sweep(conn, policy, lambda: opened + timedelta(minutes=152))["escalated"] == 1
        conn.commit()
        assert conn.execute("SELECT responsible_role, responsible_org_id FROM alerts").fetchone() == ("gp", org)
        events = [json.loads(n.payload) for n in listen.notifies(timeout=2, stop_after=2)]
        assert [e["event"] for e in events] == ["escalated", "escalated"]
        assert set(events[0]) == {"alert_id", "patient_id", "event"}


def test_acknowledge_snooze_and_resolve_in_the_store(database_url: str) -> None:
    patient, _, _ = make_patient(database_url)
    with psycopg.connect(database_url) as conn:
        user = conn.execute("INSERT INTO users (username, password_hash, display_name, role)"
                            " VALUES ('n2', 'x', 'Nurse', 'nurse') RETURNING id").fetchone()[0]
        put(conn, patient, SYS, 195, NOW - timedelta(minutes=1))
        conn.commit()
        run_once(conn)
        (alert_id,) = conn.execute("SELECT id FROM alerts").fetchone()
        lifecycle_store.snooze(conn, alert_id, user, "GP visiting today", NOW + timedelta(hours=4), lambda: NOW)
        lifecycle_store.acknowledge(conn, alert_id, user, "seen", lambda: NOW)
        conn.commit()
        assert lifecycle_store.sweep(conn, clock=lambda: NOW + timedelta(hours=5)) == {"escalated": 0, "unsnoozed": 1}
        lifecycle_store.resolve(conn, alert_id, user, "gp_informed", clock=lambda: NOW + timedelta(hours=6))
        conn.commit()
        row = conn.execute("SELECT status, acknowledged_by, ack_note, outcome, snoozed_until, snooze_reason"
                           " FROM alerts").fetchone()
        assert row == ("resolved", user, "seen", "gp_informed", None, "GP visiting today")
        with pytest.raises(TransitionError):
            lifecycle_store.acknowledge(conn, alert_id, user)
        conn.rollback()
