"""`nearcare demo` as a user runs it: it starts, seeds, serves, takes in live readings and stops on Ctrl-C."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import paho.mqtt.client as mqtt
import psycopg
from paho.mqtt.enums import CallbackAPIVersion

from tests.support.platform import EMBEDDED_BROKER

BANNER_URL = re.compile(r"Open (http://\S+) in a browser")


def _start(env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen[str], str, list[str]]:
    proc = subprocess.Popen([sys.executable, "-m", "nearcare", "demo", "--live-interval", "2",
                             "--history-days", "10"], cwd=cwd, env={**os.environ, **env},
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


def test_demo_on_configured_services(database_url: str, mqtt_url: str, tmp_path: Path) -> None:
    env = {"NEARCARE_DATABASE_URL": database_url, "NEARCARE_MQTT_URL": mqtt_url,
           "NEARCARE_DATA_DIR": str(tmp_path / "data"), "NEARCARE_HTTP_PORT": "0",
           # The embedded broker the fallback test run uses has no shared subscriptions.
           "NEARCARE_MQTT_SHARED_SUBSCRIPTION": "false" if EMBEDDED_BROKER else "true"}
    proc, url, lines = _start(env, tmp_path)
    try:
        username, password = _login(lines, "sygeplejerske")
        with httpx.Client(base_url=url, timeout=10) as web:
            assert "nearcare" in web.get("/login").text
            assert web.post("/api/session", json={"username": username, "password": password}).status_code == 200
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                patients = web.get("/api/patients").json()
                if sum(1 for p in patients if p.get("latest_reading_at")) >= 15:
                    break
                time.sleep(1)
        assert len(patients) == 20
        with psycopg.connect(database_url) as conn:
            (observations,) = conn.execute("SELECT count(*) FROM observations").fetchone()
            quarantined = conn.execute("SELECT topic, reason FROM quarantine").fetchall()
        assert observations > 300  # ten days of history for 20 kits came through the broker
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
