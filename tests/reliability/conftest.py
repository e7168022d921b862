"""Fault-injection fixtures: a private Mosquitto per test and the `faults` marker."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.security.mosquitto_server import PrivateMosquitto, require_mosquitto


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "faults: fault injection over the whole chain (kill -9, outages, clock)")


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[PrivateMosquitto]:
    """A broker this test may stop, kill and restart (on the same port, with its persistent sessions)."""
    require_mosquitto()
    server = PrivateMosquitto(tmp_path / "broker")
    server.start()
    try:
        yield server
    finally:
        server.stop()
