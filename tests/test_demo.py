"""`nearcare demo` as a user runs it: it starts, seeds, serves, takes in live readings and stops on Ctrl-C; and its
first look is today's alerts, with the weeks before it uploaded on time and handled."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion

from tests.support.platform import EMBEDDED_BROKER

BANNER_URL = re.compile(r"Open (http://\S+) in a browser")
# Alerts whose newest reading is older than this were handled before the demo started (nearcare.seed),
# with an hour's slack for the time the test takes.
RECENT = timedelta(hours=25)
OUTCOMES = {"contacted_patient", "home_visit", "gp_informed", "admitted", "false_alarm"}
CRISIS_PATIENT = "Mogens Frederiksen"  # cohort: the hypertensive crisis that happens live


def _start(env: dict[str, str], cwd: Path, history_days: int = 10) -> tuple[subprocess.Popen[str], str, list[str]]:
    proc = subprocess.Popen([sys.executable, "-m", "nearcare", "demo", "--live-interval", "2",
                             "--history-days", str(history_days)], cwd=cwd, env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    deadline = time.monotonic() + 90
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if m := BANNER_URL.search(line):
            # The banner is followed by the logins; read to its closing rule.
            while not (line := proc.stdout.readline()).startswith("====="):
                lines.append(line)
            return proc, m.group(1), lines
    proc.kill()
    raise AssertionError("demo printed no URL:\n" + "".join(lines))


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out[-3000:]
    return out


def _login(lines: list[str], username: str) -> tuple[str, str]:
    for line in lines:
        parts = line.split()
        if parts and parts[0] == username:
            return username, parts[1]
    raise AssertionError(f"no login for {username}")


def _first_look(web: httpx.Client) -> list[dict[str, object]]:
    """The nurse's queue as she first opens it: today's alerts, none of them late."""
    alerts = web.get("/api/alerts").json()
    now = datetime.now(UTC)
    assert alerts, "the first look shows no alert at all"
    for a in alerts:
        assert "late" not in a["explanation"], a
        assert now - datetime.fromisoformat(a["observed_at"]) < RECENT, a
    return alerts


def _wait_for_crisis(web: httpx.Client, timeout: float) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for a in web.get("/api/alerts").json():
            if a["patient_name"] == CRISIS_PATIENT and a["severity"] == "red" and a["code"] == "bp_systolic":
                return a
        time.sleep(0.5)
    raise AssertionError("the live hypertensive crisis never reached the nurse's queue")


def _assert_history(conn: psycopg.Connection, days: int) -> None:
    """The weeks before the demo are there, each reading uploaded minutes after it was taken; what needed the
    team then was handled by it (through the web app's resolution, so audited); only recent alerts are open."""
    now = datetime.now(UTC)
    n, oldest, covered, worst_delay = conn.execute(
        "SELECT count(*), min(measured_at), count(DISTINCT (measured_at AT TIME ZONE 'Europe/Copenhagen')::date),"
        " max(received_at - measured_at) FROM observations").fetchone()
    assert n > 40 * days  # 20 kits, a few readings each a day
    assert now - oldest > timedelta(days=days - 1)
    assert covered >= days
    assert worst_delay < timedelta(minutes=10), worst_delay  # uploaded when taken (device clocks drift a little)
    open_alerts = conn.execute(
        "SELECT id, rule, observed_at, late, explanation ? 'late' FROM alerts WHERE status <> 'resolved'").fetchall()
    assert open_alerts
    for alert_id, rule, observed_at, late, explained_late in open_alerts:
        assert now - observed_at < RECENT, (alert_id, rule, observed_at)
        assert not late and not explained_late, (alert_id, rule)
    handled = conn.execute(
        "SELECT a.id, a.severity, a.outcome, a.ack_note, a.observed_at, a.opened_at, a.resolved_at,"
        " (SELECT count(*) FROM audit_log l WHERE l.user_id = u.id AND l.action = 'alert.resolve'"
        "   AND l.patient_id = a.patient_id AND (l.detail->>'alert_id')::bigint = a.id)"
        " FROM alerts a JOIN users u ON u.id = a.resolved_by WHERE u.username = 'sygeplejerske'").fetchall()
    assert handled, "no past alert was handled by the demo nurse"
    for alert_id, severity, outcome, note, observed_at, opened_at, resolved_at, audited in handled:
        assert severity in ("red", "yellow")
        assert outcome in OUTCOMES and "før demoen" in note, (alert_id, outcome, note)
        assert now - observed_at > timedelta(hours=24)
        assert opened_at <= observed_at < resolved_at < now - timedelta(hours=20)  # dated as it happened
        assert audited == 1, alert_id
    # The GP's rounds count what is new since his last round a week ago, not the whole month.
    (since_round,) = conn.execute(
        "SELECT count(*) FROM alerts a JOIN patient_reviews r ON r.patient_id = a.patient_id"
        " WHERE a.opened_at > r.reviewed_at").fetchone()
    (all_alerts,) = conn.execute("SELECT count(*) FROM alerts").fetchone()
    assert 0 < since_round < all_alerts


def test_demo_on_configured_services(database_url: str, mqtt_url: str, tmp_path: Path) -> None:
    env = {"NEARCARE_DATABASE_URL": database_url, "NEARCARE_MQTT_URL": mqtt_url,
           "NEARCARE_DATA_DIR": str(tmp_path / "data"), "NEARCARE_HTTP_PORT": "0",
           # The embedded broker the fallback test run uses has no shared subscriptions.
           "NEARCARE_MQTT_SHARED_SUBSCRIPTION": "false" if EMBEDDED_BROKER else "true"}
    days = 30  # long enough for an episode the team handled weeks ago (cohort: COPD exacerbation 20 days ago)
    proc, url, lines = _start(env, tmp_path, history_days=days)
    try:
        username, password = _login(lines, "sygeplejerske")
        with httpx.Client(base_url=url, timeout=10) as web:
            assert "nearcare" in web.get("/login").text
            assert web.post("/api/session", json={"username": username, "password": password}).status_code == 200
            _first_look(web)
            patients = web.get("/api/patients").json()
            assert sum(1 for p in patients if p.get("latest_reading_at")) == 20
            crisis = _wait_for_crisis(web, timeout=30)
            assert "late" not in crisis["explanation"]
            assert datetime.now(UTC) - datetime.fromisoformat(crisis["observed_at"]) < timedelta(minutes=10)
        assert len(patients) == 20
        with psycopg.connect(database_url) as conn:
            _assert_history(conn, days)
            quarantined = conn.execute("SELECT topic, reason FROM quarantine").fetchall()
        assert quarantined == []
    finally:
        _stop(proc)
        # The demo's ingest session is persistent; wipe it so it queues nothing for later runs.
        host, port = mqtt_url.removeprefix("mqtt://").split(":")
        cleaner = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="nearcare-ingest-1", clean_session=True)
        cleaner.connect(host, int(port))
        cleaner.disconnect()


def test_demo_on_embedded_defaults_keeps_its_data_across_a_restart(tmp_path: Path) -> None:
    env = {"NEARCARE_DATA_DIR": str(tmp_path / "data"), "NEARCARE_HTTP_PORT": "0"}
    for var in ("NEARCARE_DATABASE_URL", "NEARCARE_MQTT_URL"):
        os.environ.pop(var, None)
    proc, url, lines = _start(env, tmp_path)
    first_login = _login(lines, "laege")
    out = _stop(proc)
    assert "embedded_postgres_initdb" in "".join(lines) + out
    proc, url, lines = _start(env, tmp_path)
    try:
        assert _login(lines, "laege") == first_login  # not seeded again
        assert "embedded_postgres_initdb" not in "".join(lines)
        with httpx.Client(base_url=url, timeout=10) as web:
            r = web.post("/api/session", json={"username": first_login[0], "password": first_login[1]})
            assert r.status_code == 200
            assert len(web.get("/api/patients").json()) == 20
    finally:
        _stop(proc)
