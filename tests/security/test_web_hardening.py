"""Web hardening: lockout, security headers, idle and absolute session expiry, no personal data in URLs or logs."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import Route
from structlog.testing import capture_logs

from clinician_ui import create_app
from clinician_ui.accounts import load_session, start_session
from clinician_ui.ratelimit import LoginLimiter
from tests.clinician_ui.seed import PASSWORD, World, world

TEMPLATES = Path(__file__).parents[2] / "clinician_ui" / "templates"


def _app(database_url: str, *, idle: timedelta = timedelta(minutes=30)) -> FastAPI:
    return create_app(database_url, secure_cookies=True, idle_timeout=idle)


@pytest.fixture
def seeded(database_url: str) -> World:
    return world(database_url)


@pytest.fixture
def client(database_url: str, seeded: World) -> Iterator[TestClient]:
    with TestClient(_app(database_url), base_url="https://testserver") as c:
        yield c


def _login(client: TestClient, username: str = "nurse", password: str = PASSWORD) -> int:
    return client.post("/api/session", json={"username": username, "password": password}).status_code


# --- lockout -----------------------------------------------------------------------------------------------

def test_ten_failures_from_anywhere_lock_the_account_for_fifteen_minutes() -> None:
    limiter = LoginLimiter()
    for i in range(9):
        limiter.failed("Nurse", f"10.0.0.{i}", now=i * 60.0)  # one address each: the pause never applies
        assert limiter.retry_after("nurse", "10.0.1.1", now=i * 60.0) == 0
    limiter.failed("nurse", "10.0.0.99", now=600.0)
    assert limiter.retry_after("nurse", "10.0.1.1", now=600.0) == 900.0  # even from a new address
    assert limiter.retry_after("gp", "10.0.0.99", now=600.0) == 0  # other accounts are untouched
    assert limiter.retry_after("nurse", "10.0.1.1", now=1499.0) == pytest.approx(1.0)
    assert limiter.retry_after("nurse", "10.0.1.1", now=1500.0) == 0


def test_failures_spread_beyond_the_window_do_not_lock() -> None:
    limiter = LoginLimiter()
    for i in range(20):
        limiter.failed("nurse", f"10.0.0.{i}", now=i * 120.0)  # 8 per 15 minutes at most
    assert limiter.locked_for("nurse", now=20 * 120.0) == 0


def test_a_success_clears_the_count_but_not_a_lock() -> None:
    limiter = LoginLimiter()
    for i in range(9):
        limiter.failed("nurse", f"10.0.0.{i}", now=0.0)
    limiter.succeeded("nurse", "10.0.0.1")
    limiter.failed("nurse", "10.0.0.1", now=1.0)
    assert limiter.locked_for("nurse", now=1.0) == 0
    for i in range(9):
        limiter.failed("nurse", f"10.0.0.{i}", now=2.0)
    limiter.succeeded("nurse", "10.0.0.1")
    assert limiter.locked_for("nurse", now=3.0) > 0


def test_a_locked_account_refuses_the_right_password_with_a_clear_message(client: TestClient) -> None:
    limiter: LoginLimiter = client.app.state.limiter  # type: ignore[attr-defined]
    for i in range(9):
        limiter.failed("nurse", f"192.0.2.{i}")
    assert _login(client, password="wrong") == 401  # the tenth
    response = client.post("/api/session", json={"username": "nurse", "password": PASSWORD})
    assert response.status_code == 429
    assert response.json()["detail"] == "Too many failed attempts; try again in 15 min"
    assert int(response.headers["retry-after"]) > 800
    assert _login(client, "gp") == 200


# --- headers -----------------------------------------------------------------------------------------------

def test_security_headers(client: TestClient) -> None:
    for path in ("/login", "/api/alerts", "/static/app.css"):
        response = client.get(path)
        csp = response.headers["content-security-policy"]
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "script-src" not in csp
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["strict-transport-security"].startswith("max-age=31536000")
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cross-origin-opener-policy"] == "same-origin"
    assert client.get("/login").headers["cache-control"] == "no-store"


def test_no_hsts_without_https(database_url: str, seeded: World) -> None:
    app = create_app(database_url, secure_cookies=False)
    with TestClient(app) as plain:
        assert "strict-transport-security" not in plain.get("/login").headers


def test_templates_have_no_inline_scripts_or_handlers() -> None:
    """The CSP forbids inline script; a template that relied on it would silently break."""
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert "src=" in tag or 'type="application/json"' in tag, (template.name, tag)
        assert not re.search(r"\son[a-z]+\s*=", text), template.name
        assert "javascript:" not in text, template.name


def test_session_cookie_is_secure_httponly_samesite(client: TestClient) -> None:
    response = client.post("/api/session", json={"username": "nurse", "password": PASSWORD})
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "secure" in cookie and "samesite=lax" in cookie


# --- session expiry ----------------------------------------------------------------------------------------

def _expires_in(database_url: str) -> float:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT extract(epoch FROM max(expires_at) - now()) FROM sessions").fetchone()
    assert row
    return float(row[0])


def test_a_new_session_starts_on_the_idle_clock(client: TestClient, database_url: str) -> None:
    assert _login(client) == 200
    assert 29 * 60 < _expires_in(database_url) <= 30 * 60


def test_a_session_ends_after_idle_time_and_activity_keeps_it(database_url: str, seeded: World) -> None:
    with TestClient(_app(database_url, idle=timedelta(seconds=1.5)), base_url="https://testserver") as c:
        assert _login(c) == 200
        for _ in range(3):  # 3 s of activity in all, never 1.5 s apart
            time.sleep(0.8)
            assert c.get("/api/alerts").status_code == 200
        time.sleep(2.0)
        assert c.get("/api/alerts").status_code == 401


def test_a_session_ends_at_its_absolute_lifetime_despite_activity(database_url: str, seeded: World) -> None:
    with TestClient(_app(database_url), base_url="https://testserver") as c:
        assert _login(c) == 200
        with psycopg.connect(database_url) as conn:  # signed in 11 h 59 min 58 s ago
            conn.execute("UPDATE sessions SET created_at = now() - interval '12 hours' + interval '2 seconds'")
        assert c.get("/api/alerts").status_code == 200
        assert _expires_in(database_url) <= 2.0
        time.sleep(2.2)
        assert c.get("/api/alerts").status_code == 401


def test_reading_a_session_moves_its_end_but_a_keepalive_check_does_not(database_url: str, seeded: World) -> None:
    """The slide happens in the statement that reads the session; ``idle=None`` (the websocket keepalive) only
    looks, so an open alert screen nobody touches still times out."""

    async def run() -> tuple[float, float, float]:
        async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
            cur = await conn.execute("SELECT id FROM users WHERE username = %s", (seeded.nurse,))
            row = await cur.fetchone()
            assert row is not None
            token, _ = await start_session(conn, row[0], timedelta(seconds=60))
            await conn.execute("UPDATE sessions SET expires_at = now() + interval '10 seconds'")
            assert await load_session(conn, token, idle=None) is not None
            looked = _expires_in(database_url)
            assert await load_session(conn, token, idle=timedelta(seconds=60)) is not None
            used = _expires_in(database_url)
            await conn.execute("UPDATE sessions SET expires_at = now() - interval '1 second'")
            gone = await load_session(conn, token, idle=timedelta(seconds=60))
            assert gone is None  # a lapsed session is not revived by the slide
            return looked, used, _expires_in(database_url)

    looked, used, after = asyncio.run(run())
    assert looked <= 10.0
    assert 59.0 < used <= 60.0
    assert after < 0


# --- personal data -----------------------------------------------------------------------------------------

ALLOWED_PATH_PARAMS = {"patient_id", "alert_id", "user_id", "code", "locale"}
ALLOWED_QUERY_PARAMS = {"status", "code", "days", "start", "end", "patient", "date", "saved", "next", "user",
                        "period", "org", "kind", "limit", "offset", "since", "before", "after", "page", "lang"}


def test_urls_carry_ids_only(database_url: str) -> None:
    app = create_app(database_url)
    for route in app.routes:
        if not isinstance(route, Route) or not hasattr(route, "dependant"):
            continue
        names = set(route.param_convertors)
        assert names <= ALLOWED_PATH_PARAMS, (route.path, names)
        queries = {p.name for p in route.dependant.query_params}  # type: ignore[attr-defined]
        for dep in route.dependant.dependencies:  # type: ignore[attr-defined]
            queries |= {p.name for p in dep.query_params}
        assert queries <= ALLOWED_QUERY_PARAMS, (route.path, queries)


def test_logs_hold_no_names_or_passwords(client: TestClient, seeded: World) -> None:
    with capture_logs() as events:
        _login(client, password="hunter2-wrong")
        assert _login(client) == 200
        client.get(f"/api/patients/{seeded.patient_id}")
        client.get(f"/patients/{seeded.patient_id}")
        client.get("/api/alerts")
    text = repr(events)
    for secret in ("hunter2-wrong", PASSWORD, "Inger Jensen", "Hanne Sygeplejerske", "1944"):
        assert secret not in text


# --- NUL characters ----------------------------------------------------------------------------------------

def test_nul_characters_are_refused_at_the_edge(client: TestClient) -> None:
    """PostgreSQL text cannot hold NUL; without this a NUL in a user name was a 500 (found by schemathesis)."""
    assert client.post("/api/session", json={"username": "nurse\x00", "password": "x"}).status_code == 400
    assert client.post("/login", data={"username": "nurse\x00", "password": "x", "csrf_token": "t"}
                       ).status_code == 400
    assert client.get("/api/alerts?status=open%00").status_code == 400
    # A backslash followed by "u0000" is ordinary text, not a NUL.
    assert client.post("/api/session", json={"username": "nurse\\u0000", "password": "x"}).status_code == 401
    assert _login(client) == 200  # the body read for the check reaches the handler unchanged
