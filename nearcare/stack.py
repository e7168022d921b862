"""Resolve the database and broker: the configured ones, or embedded ones started here."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass

import structlog

from nearcare.settings import Settings

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Endpoints:
    database_url: str
    mqtt_url: str
    embedded_database: bool
    embedded_broker: bool


def open_endpoints(settings: Settings, stack: ExitStack) -> Endpoints:
    """Start what is not configured; everything started is stopped when ``stack`` closes."""
    database_url = settings.database_url
    if database_url is None:
        from nearcare.embedded_postgres import EmbeddedPostgres

        pg = EmbeddedPostgres(settings.data_dir / "postgres")
        database_url = pg.start()
        stack.callback(pg.stop)
    mqtt_url = settings.mqtt_url
    if mqtt_url is None:
        from nearcare.embedded_broker import EmbeddedBroker

        broker = EmbeddedBroker()
        mqtt_url = broker.start()
        stack.callback(broker.stop)
    return Endpoints(database_url, mqtt_url, settings.database_url is None, settings.mqtt_url is None)
