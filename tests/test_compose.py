"""docker-compose.yml is checked here, since no Docker engine runs on the test machines."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from nearcare.cli import app

ROOT = Path(__file__).parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_production_services_are_all_there() -> None:
    services = COMPOSE["services"]
    assert {"db", "mqtt", "migrate", "ingest-1", "ingest-2", "alerts", "web"} <= set(services)
    assert "timescaledb" in services["db"]["image"]
    assert "mosquitto" in services["mqtt"]["image"]


def test_every_command_compose_runs_exists_in_the_cli() -> None:
    runner = CliRunner()
    commands = [s["command"] for s in COMPOSE["services"].values() if "command" in s]
    assert len(commands) >= 5
    for command in commands:
        assert command[0] == "nearcare", command
        result = runner.invoke(app, [*command[1:], "--help"])
        assert result.exit_code == 0, f"{command}: {result.output}"


def test_app_services_get_their_settings_from_the_environment() -> None:
    for name in ("ingest-1", "ingest-2", "alerts", "web"):
        env = COMPOSE["services"][name]["environment"]
        assert env["NEARCARE_DATABASE_URL"].startswith("postgresql://")
        assert env["NEARCARE_MQTT_URL"].startswith("mqtt://")
        # No secret is written into the file itself.
        assert "${POSTGRES_PASSWORD" in env["NEARCARE_DATABASE_URL"]


def test_mosquitto_files_referenced_by_compose_exist() -> None:
    for volume in COMPOSE["services"]["mqtt"]["volumes"]:
        source = volume.split(":")[0]
        if source.startswith("./") and not source.endswith(("passwd", "certs")):
            assert (ROOT / source).exists(), source
