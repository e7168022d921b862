"""Real services for the tests: a PostgreSQL server and an MQTT broker, reached or started here.

scripts/test makes sure the machine's PostgreSQL and Mosquitto are up and exports their URLs; when it
cannot, it sets NEARCARE_TEST_EMBEDDED=1 and the embedded server and broker start here instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from ingest.migrate import migrate

EMBEDDED = os.environ.get("NEARCARE_TEST_EMBEDDED") == "1"
ARTIFACTS = Path(os.environ.get("NEARCARE_TEST_ARTIFACTS", Path(__file__).parent.parent / "test-artifacts"))


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@pytest.fixture(scope="session")
def embedded_pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    from nearcare.embedded_postgres import EmbeddedPostgres

    server = EmbeddedPostgres(tmp_path_factory.mktemp("embedded-pg"))
    url = server.start()
    yield url
    server.stop()


@pytest.fixture(scope="session")
def embedded_mqtt() -> Iterator[str]:
    from nearcare.embedded_broker import EmbeddedBroker

    broker = EmbeddedBroker()
    url = broker.start()
    yield url
    broker.stop()


@pytest.fixture(scope="session")
def pg_server_url(request: pytest.FixtureRequest) -> str:
    if EMBEDDED:
        return str(request.getfixturevalue("embedded_pg"))
    return os.environ.get("NEARCARE_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def mqtt_url(request: pytest.FixtureRequest) -> str:
    if EMBEDDED:
        return str(request.getfixturevalue("embedded_mqtt"))
    return os.environ.get("NEARCARE_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")


class DatabaseFactory:
    """Fresh, migrated databases cloned from one template per server."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.template = f"nc_tpl_{uuid.uuid4().hex[:10]}"
        self.created: list[str] = [self.template]
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{self.template}"')
        migrate(_with_db(server_url, self.template))

    def new(self) -> str:
        name = f"nc_t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        self.created.append(name)
        return _with_db(self.server_url, name)

    def drop_all(self) -> None:
        with psycopg.connect(self.server_url, autocommit=True) as conn:
            for name in reversed(self.created):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _factory(server_url: str) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(server_url)
    yield factory
    factory.drop_all()


@pytest.fixture(scope="session")
def db_factory(pg_server_url: str) -> Iterator[DatabaseFactory]:
    yield from _factory(pg_server_url)


@pytest.fixture(scope="session")
def embedded_db_factory(embedded_pg: str) -> Iterator[DatabaseFactory]:
    yield from _factory(embedded_pg)


@pytest.fixture
def database_url(db_factory: DatabaseFactory) -> str:
    """A new database with the full schema and nothing in it."""
    return db_factory.new()


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
