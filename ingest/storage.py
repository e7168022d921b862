"""Observation storage chosen at migration time: a TimescaleDB hypertable where the extension exists, else a
plain table with BRIN; both expose the same hourly and daily summaries (observation_hourly, observation_daily)."""

from __future__ import annotations

import psycopg
import structlog
from psycopg import sql

log = structlog.get_logger(__name__)

# Summary columns are the same in both modes so that the web queries one name, whichever storage is underneath.
_SUMMARY = """
SELECT patient_id, code, {bucket} AS bucket, min(value) AS min_value, max(value) AS max_value,
       avg(value) AS avg_value, count(*) AS n
FROM observations GROUP BY patient_id, code, bucket
"""

# A hypertable's unique indexes must contain the partitioning column, so the primary key on id alone cannot
# stay. A key of (id, measured_at) would let the same reading in twice whenever its corrected measured time
# differs between deliveries (a device clock offset estimated anew on a re-download), so the id alone stays
# the dedupe key, in a small table of its own, enforced by a trigger for every writer. It is kept when
# retention drops old chunks (about 50 bytes a reading), so that a very late resend is not stored again.
_TIMESCALE = """
CREATE TABLE observation_ids (
    id          uuid PRIMARY KEY,
    measured_at timestamptz NOT NULL
);
INSERT INTO observation_ids (id, measured_at) SELECT id, measured_at FROM observations;
ALTER TABLE observations DROP CONSTRAINT observations_pkey;
DROP INDEX IF EXISTS observations_measured_brin;
CREATE INDEX observations_id ON observations (id);
SELECT create_hypertable('observations', by_range('measured_at', INTERVAL '1 day'),
                         migrate_data => true, create_default_indexes => false);
CREATE FUNCTION observations_dedupe() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO observation_ids (id, measured_at) VALUES (NEW.id, NEW.measured_at) ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        RETURN NULL;  -- already stored: skip the row, as ON CONFLICT DO NOTHING would
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER observations_dedupe BEFORE INSERT ON observations
    FOR EACH ROW EXECUTE FUNCTION observations_dedupe();
ALTER TABLE observations SET (timescaledb.compress, timescaledb.compress_segmentby = 'patient_id, code',
                              timescaledb.compress_orderby = 'measured_at DESC');
SELECT add_compression_policy('observations', INTERVAL '7 days');
"""

_CAGG_POLICIES = """
SELECT add_continuous_aggregate_policy('observation_hourly', start_offset => INTERVAL '3 days',
    end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '30 minutes');
SELECT add_continuous_aggregate_policy('observation_daily', start_offset => INTERVAL '10 days',
    end_offset => INTERVAL '1 day', schedule_interval => INTERVAL '1 hour');
"""


def timescale_available(conn: psycopg.Connection) -> bool:
    return conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb'").fetchone() is not None


def timescale_enabled(conn: psycopg.Connection) -> bool:
    """Whether observations is a hypertable (the storage chosen when the database was migrated)."""
    if conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'").fetchone() is None:
        return False
    row = conn.execute("SELECT 1 FROM timescaledb_information.hypertables"
                       " WHERE hypertable_name = 'observations'").fetchone()
    return row is not None


def _statements(script: str) -> list[str]:
    # Split on statement ends at line ends outside the one dollar-quoted function body.
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for line in script.splitlines():
        current.append(line)
        quoted ^= line.count("$$") % 2 == 1
        if not quoted and line.rstrip().endswith(";"):
            parts.append("\n".join(current).strip())
            current = []
    if "\n".join(current).strip():
        parts.append("\n".join(current).strip())
    return parts


def _run(conn: psycopg.Connection, script: str | sql.Composed) -> None:
    text = script if isinstance(script, str) else script.as_string(conn)
    for statement in _statements(text):
        conn.execute(statement.encode())


def upgrade(conn: psycopg.Connection, timezone: str) -> str:
    """Set up observation storage inside the migration's transaction; returns "timescaledb" or "postgresql"."""
    tz = sql.Literal(timezone)
    if timescale_available(conn):
        conn.execute("CREATE EXTENSION IF NOT EXISTS timescaledb")
        _run(conn, _TIMESCALE)
        cagg = "CREATE MATERIALIZED VIEW {name} WITH (timescaledb.continuous, timescaledb.materialized_only = false)" \
               " AS " + _SUMMARY + " WITH NO DATA"
        _run(conn, sql.SQL(cagg + ";").format(name=sql.Identifier("observation_hourly"),
                                               bucket=sql.SQL("time_bucket(INTERVAL '1 hour', measured_at)")))
        _run(conn, sql.SQL(cagg + ";").format(name=sql.Identifier("observation_daily"),
                                               bucket=sql.SQL("time_bucket(INTERVAL '1 day', measured_at, {})")
                                               .format(tz)))
        _run(conn, _CAGG_POLICIES)
        return "timescaledb"
    # Plain PostgreSQL: observations keeps its primary key on id and its BRIN index on measured_at (0001);
    # the summaries are views, computed on read from the (patient_id, code, measured_at DESC) index.
    view = "CREATE VIEW {name} AS " + _SUMMARY + ";"
    _run(conn, sql.SQL(view).format(name=sql.Identifier("observation_hourly"),
                                    bucket=sql.SQL("date_trunc('hour', measured_at, 'UTC')")))
    _run(conn, sql.SQL(view).format(name=sql.Identifier("observation_daily"),
                                    bucket=sql.SQL("date_trunc('day', measured_at, {})").format(tz)))
    return "postgresql"


def current_retention(conn: psycopg.Connection) -> str | None:
    row = conn.execute(
        "SELECT config->>'drop_after' FROM timescaledb_information.jobs"
        " WHERE proc_name = 'policy_retention' AND hypertable_name = 'observations'"
    ).fetchone()
    return str(row[0]) if row else None


def set_retention(conn: psycopg.Connection, interval: str | None) -> bool:
    """Make the retention policy on observations match ``interval`` (None: keep everything).
    Returns whether anything changed; does nothing on plain PostgreSQL, which has no such policy."""
    if not timescale_enabled(conn):
        return False
    current = current_retention(conn)
    if current is not None and interval is not None:
        same = conn.execute("SELECT %s::interval = %s::interval", (current, interval)).fetchone()
        if same and same[0]:
            return False
    if current is None and interval is None:
        return False
    conn.execute("SELECT remove_retention_policy('observations', if_exists => true)")
    if interval is not None:
        conn.execute("SELECT add_retention_policy('observations', drop_after => %s::interval)", (interval,))
    log.info("retention_policy_set", drop_after=interval or "off", was=current or "off")
    return True
