"""Observation storage: a TimescaleDB hypertable with compression and continuous aggregates where the
extension is available, else the plain table with BRIN and summary views (see ingest.storage)."""

from __future__ import annotations

import psycopg

from ingest.settings import IngestSettings
from ingest.storage import upgrade


def apply(conn: psycopg.Connection, settings: IngestSettings) -> None:
    upgrade(conn, settings.timezone)
