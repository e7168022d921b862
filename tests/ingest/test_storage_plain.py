"""Storage on plain PostgreSQL: the primary key on id, BRIN on measured time, the clinician index, and
summary views with the same columns as TimescaleDB's continuous aggregates."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg

from ingest.storage import set_retention, timescale_enabled
from tests.support.platform import make_patient

SUMMARY_COLUMNS = [("patient_id", "integer"), ("code", "text"), ("bucket", "timestamp with time zone"),
                   ("min_value", "double precision"), ("max_value", "double precision"),
                   ("avg_value", "double precision"), ("n", "bigint")]


def test_plain_storage_has_the_indexes_and_the_summary_views(database_url: str) -> None:
    patient, _, _ = make_patient(database_url)
    day = datetime(2026, 3, 10, 7, 30, tzinfo=UTC)  # 08:30 in Copenhagen
    with psycopg.connect(database_url) as conn:
        assert not timescale_enabled(conn)
        assert not set_retention(conn, "10 years")  # no such policy without TimescaleDB
        indexes = {r[0]: r[1] for r in conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'observations'")}
        assert "(id)" in indexes["observations_pkey"]
        assert "USING brin (measured_at)" in indexes["observations_measured_brin"]
        assert "(patient_id, code, measured_at DESC)" in indexes["observations_patient_code_time"]
        for view in ("observation_hourly", "observation_daily"):
            columns = conn.execute("SELECT column_name, data_type FROM information_schema.columns"
                                   " WHERE table_name = %s ORDER BY ordinal_position", (view,)).fetchall()
            assert columns == SUMMARY_COLUMNS, view
        obs_id = uuid.uuid4()
        for i, (minutes, value) in enumerate(((0, 120), (20, 140), (16 * 60, 100))):
            conn.execute("INSERT INTO observations (id, patient_id, code, value, unit, measured_at, received_at)"
                         " VALUES (%s, %s, '8480-6', %s, 'mm[Hg]', %s, now()) ON CONFLICT DO NOTHING",
                         (obs_id if i == 0 else uuid.uuid4(), patient, value, day + timedelta(minutes=minutes)))
        conn.execute("INSERT INTO observations (id, patient_id, code, value, unit, measured_at, received_at)"
                     " VALUES (%s, %s, '8480-6', 1, 'mm[Hg]', now(), now()) ON CONFLICT DO NOTHING",
                     (obs_id, patient))
        daily = conn.execute("SELECT bucket, min_value, max_value, avg_value, n FROM observation_daily"
                             " WHERE patient_id = %s ORDER BY bucket", (patient,)).fetchall()
        hourly = conn.execute("SELECT n FROM observation_hourly WHERE patient_id = %s ORDER BY bucket",
                              (patient,)).fetchall()
    # Local days: 23:30 UTC on the 10th is already the 11th in Copenhagen.
    assert [(r[0].isoformat(), *r[1:]) for r in daily] == [
        ("2026-03-09T23:00:00+00:00", 120, 140, 130, 2), ("2026-03-10T23:00:00+00:00", 100, 100, 100, 1)]
    assert [r[0] for r in hourly] == [2, 1]
