"""Fixtures for the clinician app: a seeded database, the app and signed-in clients."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from clinician_ui import create_app
from tests.clinician_ui.seed import PASSWORD, World, world


@pytest.fixture
def seeded(database_url: str) -> World:
    return world(database_url)


@pytest.fixture
def app_client(database_url: str, seeded: World) -> Iterator[TestClient]:
    app = create_app(database_url, secure_cookies=False)
    with TestClient(app) as client:
        yield client


def login(client: TestClient, username: str) -> str:
    """Sign in through the API; returns the CSRF token."""
    response = client.post("/api/session", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return str(response.json()["csrf_token"])


@pytest.fixture
def nurse(app_client: TestClient) -> tuple[TestClient, str]:
    return app_client, login(app_client, "nurse")
