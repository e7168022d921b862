"""Against real PostgreSQL: two alert workers on one queue write exactly what one writes; one reading, one alert;
priority from the risk group; the latency benchmark at tiny numbers."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import psycopg

from alerts.engine import run_once
from tests.alerts.test_streaming_db import put
from tests.conftest import DatabaseFactory
from tests.support.platform import make_patient

NOW = datetime.now(UTC).replace(microsecond=0)
SPO2, PULSE, WEIGHT, GLUCOSE = "59408-5", "8867-4", "29463-7", "14743-9"
UNITS = {SPO2: "%", PULSE: "/min", WEIGHT: "kg", GLUCOSE: "mmol/L"}


def _put(conn: psycopg.Connection, patient: int, loinc: str, value: float, at: datetime) -> None:
    obs = uuid.uuid4()
    conn.execute("INSERT INTO observations (id, patient_id, code, value, unit, measured_at, received_at)"
                 " VALUES (%s, %s, %s, %s, %s, %s, %s)", (obs, patient, loinc, value, UNITS[loinc], at, at))
    conn.execute("INSERT INTO alert_queue (patient_id, observation_ids) VALUES (%s, %s)", (patient, [obs]))


def _cohort(database_url: str) -> list[int]:
    """Six patients whose readings raise trend alerts (weight gain, COPD SpO2 drop) and thresholds."""
    patients = []
    with psycopg.connect(database_url) as conn:
        for k in range(6):
            copd = k % 2 == 1
            p, _, _ = make_patient(database_url, conditions=("copd",) if copd else ("heart_failure",),
                                   org_name="Team workers")
            patients.append(p)
            for d in range(30, 0, -1):
                at = NOW - timedelta(days=d)
                if copd:
                    drop = 6 if d <= 2 else 0
                    _put(conn, p, SPO2, 95 - drop + (d % 2), at)
                    _put(conn, p, PULSE, 80 + (15 if d <= 2 else 0), at)
                else:
                    gain = max(0, 4 - d) * 1.2
                    _put(conn, p, WEIGHT, 80 + gain + 0.1 * (d % 2), at)
            conn.commit()
    return patients


def _snapshot(database_url: str) -> list[tuple]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT p.rank, a.rule, a.code, a.severity, a.status, cardinality(a.evidence),"
                            " jsonb_path_query_array(a.explanation, '$.also[*].rule')"
                            " FROM alerts a JOIN (SELECT id, row_number() OVER (ORDER BY id) AS rank FROM patients) p"
                            " ON p.id = a.patient_id ORDER BY 1, 2, 3").fetchall()
    return rows


def _drain(database_url: str, workers: int) -> None:
    def work() -> None:
        with psycopg.connect(database_url) as conn:
            while run_once(conn, limit=7) > 0:
                pass

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)


def test_two_workers_write_exactly_what_one_writes(db_factory: DatabaseFactory) -> None:
    one, two = db_factory.new(), db_factory.new()
    _cohort(one)
    _cohort(two)
    _drain(one, 1)
    _drain(two, 2)
    expected = _snapshot(one)
    assert {r[1] for r in expected} >= {"hf_weight", "copd_exacerbation"}
    assert _snapshot(two) == expected


def test_one_reading_raises_one_alert(database_url: str) -> None:
    patient, _, _ = make_patient(database_url, conditions=("diabetes",))
    night = (NOW - timedelta(days=1)).replace(hour=1, minute=30)  # 02:30 or 03:30 in Copenhagen
    with psycopg.connect(database_url) as conn:
        _put(conn, patient, GLUCOSE, 3.4, night - timedelta(days=2))
        conn.commit()
        run_once(conn)
        _put(conn, patient, GLUCOSE, 2.9, night)
        conn.commit()
        run_once(conn)
        rows = conn.execute("SELECT rule, severity, explanation FROM alerts WHERE status <> 'resolved'"
                            " AND severity = 'red'").fetchall()
        assert [(r[0], r[1]) for r in rows] == [("threshold", "red")]
        assert [a["rule"] for a in rows[0][2]["also"]] == ["glucose_nocturnal_lows"]
        assert "Also: " in rows[0][2]["text"]["en"]
        before = conn.execute("SELECT id, severity, explanation, evidence FROM alerts ORDER BY id").fetchall()
        conn.execute("INSERT INTO alert_queue (patient_id, observation_ids) SELECT patient_id, ARRAY[id]"
                     " FROM observations WHERE patient_id = %s AND value = 2.9", (patient,))  # the low redelivered
        conn.commit()
        run_once(conn)
        assert conn.execute("SELECT id, severity, explanation, evidence FROM alerts ORDER BY id").fetchall() == before


def test_priority_comes_from_the_risk_group(database_url: str) -> None:
    patient, _, _ = make_patient(database_url, conditions=("copd", "heart_failure"))  # born 1940: 80+
    with psycopg.connect(database_url) as conn:
        conn.execute("UPDATE patients SET lives_alone = true WHERE id = %s", (patient,))
        conn.execute("INSERT INTO admissions (patient_id, admitted_at, discharged_at, source) VALUES"
                     " (%s, %s, %s, 'nurse')", (patient, NOW - timedelta(days=9), NOW - timedelta(days=5)))
        put(conn, patient, "8480-6", 195, NOW - timedelta(minutes=5))
        conn.commit()
        run_once(conn)
        assert conn.execute("SELECT priority FROM alerts").fetchall() == [(4,)]


def test_latency_bench_smoke(database_url: str) -> None:
    from alerts.evaluation.latency import LatencyConfig, run_one, seed, table

    cfg = LatencyConfig(patients=20, rate=100, seconds=1.0, abnormal=0.2, history_days=3)
    run = run_one(database_url, cfg, seed(database_url, cfg), workers=1, trends=True, label="all rules")
    assert run.readings == 100 and run.measured > 0
    assert 0 <= run.p50_ms <= run.p99_ms <= run.max_ms
    assert "| all rules | 1 |" in table([run], cfg)


def test_metrics_count_what_the_engine_writes(database_url: str) -> None:
    from alerts import metrics

    patient, _, _ = make_patient(database_url)
    before = metrics.OPENED.labels("threshold", "red")._value.get()
    with psycopg.connect(database_url) as conn:
        put(conn, patient, "8480-6", 199, NOW - timedelta(minutes=2))
        conn.commit()
        run_once(conn)
    assert metrics.OPENED.labels("threshold", "red")._value.get() == before + 1
    assert metrics.EVALUATION_SECONDS._sum.get() > 0
