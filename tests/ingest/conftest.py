"""Ingest fixtures: a real TimescaleDB (PGlite with the extension), shared by the storage tests of a session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from ingest.migrate import migrate
from ingest.settings import IngestSettings
from tests.ingest.timescale_server import pglite_timescaledb


@pytest.fixture(scope="session")
def timescale_url() -> Iterator[str]:
    """A migrated TimescaleDB; tests share it, so each uses its own patients and cleans nothing up."""
    if shutil.which("node") is None:
        pytest.skip("node is not installed: no TimescaleDB test server")
    with pglite_timescaledb() as url:
        migrate(url, IngestSettings(retention=None))
        yield url
