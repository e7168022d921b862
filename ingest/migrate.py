"""Versioned schema migrations: numbered files applied once each, in order, recorded in schema_migrations.

``NNNN_name.sql`` is run as it is; ``NNNN_name.py`` defines ``apply(conn, settings)`` for steps that depend on
the server (TimescaleDB or plain PostgreSQL) or on settings. Each migration runs in its own transaction.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

import psycopg
import structlog

from ingest.settings import IngestSettings
from ingest.storage import set_retention

log = structlog.get_logger(__name__)

# Any constant works; it only has to be the same for every process that migrates this database.
_MIGRATION_LOCK = 0x6E63_6D67

Step = Callable[[psycopg.Connection, IngestSettings], None]


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str | None = None
    step: Step | None = None

    def run(self, conn: psycopg.Connection, settings: IngestSettings) -> None:
        if self.sql is not None:
            conn.execute(self.sql.encode())
        if self.step is not None:
            self.step(conn, settings)


def available() -> list[Migration]:
    found = []
    for entry in resources.files("ingest.migrations").iterdir():
        version, _, rest = entry.name.partition("_")
        if not version.isdigit():
            continue
        if entry.name.endswith(".sql"):
            found.append(Migration(int(version), rest.removesuffix(".sql"), sql=entry.read_text("utf-8")))
        elif entry.name.endswith(".py"):
            module = importlib.import_module(f"ingest.migrations.{entry.name.removesuffix('.py')}")
            found.append(Migration(int(version), rest.removesuffix(".py"), step=module.apply))
    versions = [m.version for m in found]
    if len(versions) != len(set(versions)):
        raise RuntimeError(f"two migrations share a version number: {sorted(versions)}")
    return sorted(found, key=lambda m: m.version)


def migrate(database_url: str, settings: IngestSettings | None = None) -> list[int]:
    """Apply pending migrations in order, then the retention setting; safe from several processes at once."""
    settings = settings or IngestSettings()
    applied: list[int] = []
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (_MIGRATION_LOCK,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
            for m in available():
                if m.version in done:
                    continue
                with conn.transaction():
                    m.run(conn, settings)
                    conn.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                                 (m.version, m.name))
                log.info("migration_applied", version=m.version, name=m.name)
                applied.append(m.version)
            with conn.transaction():
                set_retention(conn, settings.retention_interval)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_MIGRATION_LOCK,))
    return applied
