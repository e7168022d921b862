"""Storage on a real TimescaleDB: the migration's hypertable, compression, continuous aggregates, retention
and dedupe by observation id with plain INSERT … ON CONFLICT DO NOTHING (COPY crashes the test server)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg

from ingest.migrate import migrate
from ingest.settings import IngestSettings
from ingest.storage import current_retention, set_retention, timescale_enabled
from tests.ingest.timescale_server import connect

NOW = datetime.now(UTC).replace(microsecond=0)

_INSERT = ("INSERT INTO observations (id, patient_id, code, value, unit, measured_at, received_at)"
           " VALUES (%s, %s, %s, %s, 'mm[Hg]', %s, %s) ON CONFLICT DO NOTHING RETURNING id")


def _patient(conn: psycopg.Connection) -> int:
    org = conn.execute("INSERT INTO organisations (name, kind) VALUES (%s, 'nursing_team') RETURNING id",
                       (f"org-{uuid.uuid4().hex[:8]}",)).fetchone()
    assert org
    row = conn.execute("INSERT INTO patients (display_name, nursing_org_id, gp_org_id) VALUES ('P', %s, %s)"
                       " RETURNING id", (org[0], org[0])).fetchone()
    assert row
    return int(row[0])


def _insert(conn: psycopg.Connection, patient: int, obs_id: uuid.UUID, at: datetime, value: float = 120,
            code: str = "8480-6") -> bool:
    return conn.execute(_INSERT, (obs_id, patient, code, value, at, NOW)).fetchone() is not None


def test_migration_makes_a_compressed_hypertable_with_summaries(timescale_url: str) -> None:
    with connect(timescale_url) as conn:
        assert timescale_enabled(conn)
        (dim,) = conn.execute("SELECT column_name FROM timescaledb_information.dimensions"
                              " WHERE hypertable_name = 'observations'").fetchone() or (None,)
        assert dim == "measured_at"
        settings = dict(conn.execute(
            "SELECT attname, coalesce(segmentby_column_index, -orderby_column_index)"
            " FROM timescaledb_information.compression_settings WHERE hypertable_name = 'observations'"
        ).fetchall())
        assert settings == {"patient_id": 1, "code": 2, "measured_at": -1}
        jobs = {(r[0], r[1]): r[2] for r in conn.execute(
            "SELECT proc_name, coalesce(hypertable_name, ''), config FROM timescaledb_information.jobs"
            " WHERE proc_schema = '_timescaledb_functions' AND proc_name <> 'policy_job_stat_history_retention'")}
        assert jobs[("policy_compression", "observations")]["compress_after"] == "7 days"
        caggs = {r[0]: r[1] for r in conn.execute(
            "SELECT view_name, materialized_only FROM timescaledb_information.continuous_aggregates")}
        assert caggs == {"observation_hourly": False, "observation_daily": False}
        refresh = [c for (proc, _), c in jobs.items() if proc == "policy_refresh_continuous_aggregate"]
        assert len(refresh) == 2
        assert [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")][:2] == [1, 2]
    assert migrate(timescale_url, IngestSettings(retention=None)) == []  # nothing left to apply


def test_the_same_id_is_stored_once_even_with_another_measured_time(timescale_url: str) -> None:
    obs_id = uuid.uuid4()
    with connect(timescale_url) as conn:
        patient = _patient(conn)
        assert _insert(conn, patient, obs_id, NOW - timedelta(hours=2))
        # A re-download with a newly estimated clock offset: same reading, a little different time.
        assert not _insert(conn, patient, obs_id, NOW - timedelta(hours=2, seconds=3))
        assert not _insert(conn, patient, obs_id, NOW - timedelta(days=3))  # another chunk
        with conn.transaction():
            rows = conn.execute(
                "INSERT INTO observations (id, patient_id, code, value, unit, measured_at, received_at)"
                " SELECT i, %s, '8480-6', 1, 'mm[Hg]', %s, %s FROM unnest(%s::uuid[]) AS i"
                " ON CONFLICT DO NOTHING RETURNING id",
                (patient, NOW, NOW, [obs_id, uuid.uuid4()])).fetchall()
        assert len(rows) == 1
        (n,) = conn.execute("SELECT count(*) FROM observations WHERE id = %s", (obs_id,)).fetchone() or (0,)
        assert n == 1


def test_a_late_reading_into_a_compressed_chunk_is_stored_once(timescale_url: str) -> None:
    old = NOW - timedelta(days=20)
    first, late = uuid.uuid4(), uuid.uuid4()
    with connect(timescale_url) as conn:
        patient = _patient(conn)
        assert _insert(conn, patient, first, old)
        compressed = conn.execute(
            "SELECT compress_chunk(c, if_not_compressed => true)"
            " FROM show_chunks('observations', older_than => INTERVAL '7 days') c").fetchall()
        assert compressed
        assert not _insert(conn, patient, first, old)
        assert _insert(conn, patient, late, old + timedelta(minutes=1))
        assert not _insert(conn, patient, late, old + timedelta(minutes=1))
        rows = conn.execute("SELECT id FROM observations WHERE patient_id = %s ORDER BY measured_at",
                            (patient,)).fetchall()
        assert [r[0] for r in rows] == [first, late]
        (is_compressed,) = conn.execute(
            "SELECT bool_or(is_compressed) FROM timescaledb_information.chunks"
            " WHERE hypertable_name = 'observations' AND range_end <= %s", (NOW - timedelta(days=7),)
        ).fetchone() or (False,)
        assert is_compressed


def test_hourly_and_daily_summaries_per_patient_and_code(timescale_url: str) -> None:
    day = (NOW - timedelta(days=2)).replace(hour=9, minute=0, second=0)
    with connect(timescale_url) as conn:
        patient = _patient(conn)
        for minutes, value in ((0, 120), (10, 140), (20, 130), (70, 150)):
            _insert(conn, patient, uuid.uuid4(), day + timedelta(minutes=minutes), value)
        _insert(conn, patient, uuid.uuid4(), day, 80, code="8462-4")
        # Materialise up to yesterday only: buckets past the watermark are computed on read (real time).
        until = day + timedelta(days=1, hours=12)
        conn.execute("CALL refresh_continuous_aggregate('observation_hourly', NULL, %s)", (until,))
        conn.execute("CALL refresh_continuous_aggregate('observation_daily', NULL, %s)", (until,))
        hourly = conn.execute("SELECT bucket, min_value, max_value, avg_value, n FROM observation_hourly"
                              " WHERE patient_id = %s AND code = '8480-6' ORDER BY bucket", (patient,)).fetchall()
        assert [tuple(r[1:]) for r in hourly] == [(120, 140, 130, 3), (150, 150, 150, 1)]
        assert hourly[0][0] == day
        daily = conn.execute("SELECT code, min_value, max_value, avg_value, n FROM observation_daily"
                             " WHERE patient_id = %s ORDER BY code", (patient,)).fetchall()
        assert daily == [("8462-4", 80, 80, 80, 1), ("8480-6", 120, 150, 135, 4)]
        # Real-time aggregation: a reading after the last refresh shows at once.
        _insert(conn, patient, uuid.uuid4(), NOW - timedelta(minutes=1), 160)
        (n,) = conn.execute("SELECT sum(n) FROM observation_daily WHERE patient_id = %s AND code = '8480-6'",
                            (patient,)).fetchone() or (0,)
        assert n == 5


def test_retention_follows_the_setting_and_drops_old_chunks(timescale_url: str) -> None:
    with connect(timescale_url) as conn:
        assert current_retention(conn) is None  # default: keep everything
    migrate(timescale_url, IngestSettings(retention="10 years"))
    with connect(timescale_url) as conn:
        assert current_retention(conn) == "10 years"
        assert not set_retention(conn, "120 months")  # the same interval: left alone
        assert set_retention(conn, "1 year")
        patient = _patient(conn)
        ancient, recent = uuid.uuid4(), uuid.uuid4()
        _insert(conn, patient, ancient, NOW - timedelta(days=800))
        _insert(conn, patient, recent, NOW - timedelta(days=30))
        (job,) = conn.execute("SELECT job_id FROM timescaledb_information.jobs"
                              " WHERE proc_name = 'policy_retention'").fetchone() or (None,)
        conn.execute("CALL run_job(%s)", (job,))
        left = {r[0] for r in conn.execute("SELECT id FROM observations WHERE patient_id = %s", (patient,))}
        assert left == {recent}
    migrate(timescale_url, IngestSettings(retention="off"))
    with connect(timescale_url) as conn:
        assert current_retention(conn) is None
