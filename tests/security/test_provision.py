"""Provisioning a kit: Mosquitto-compatible password entries, safe ids, the CLI's files and database row."""

from __future__ import annotations

import shutil
import stat
import subprocess
from pathlib import Path

import psycopg
import pytest
import typer
from typer.testing import CliRunner

from gateway.provision import (
    ProvisionError,
    acl_text,
    check_gateway_id,
    hash_password,
    kit_url,
    read_passwd,
    set_account,
    verify_password,
)
from nearcare.cli_provision import provision_command

app = typer.Typer()
app.command()(provision_command)


@pytest.mark.skipif(shutil.which("mosquitto_passwd") is None, reason="mosquitto_passwd is not installed")
def test_the_python_hash_is_the_one_mosquitto_passwd_writes(tmp_path: Path) -> None:
    passwd = tmp_path / "passwd"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(passwd), "kit-1", "s3cret"], check=True)
    encoded = read_passwd(passwd)["kit-1"]
    _, seven, iterations, salt_b64, _ = encoded.split("$")
    import base64

    assert seven == "7"
    assert hash_password("s3cret", salt=base64.b64decode(salt_b64), iterations=int(iterations)) == encoded
    assert verify_password(encoded, "s3cret") and not verify_password(encoded, "s3cret ")


def test_python_fallback_keeps_other_accounts(tmp_path: Path) -> None:
    passwd = tmp_path / "passwd"
    assert set_account(passwd, "ingest", "one", tool=None) == "python"
    assert set_account(passwd, "kit-1", "two", tool="no-such-tool") == "python"
    assert set_account(passwd, "kit-1", "three", tool=None) == "python"  # rotation replaces the entry
    entries = read_passwd(passwd)
    assert list(entries) == ["ingest", "kit-1"]
    assert verify_password(entries["ingest"], "one") and verify_password(entries["kit-1"], "three")
    assert stat.S_IMODE(passwd.stat().st_mode) == 0o600


@pytest.mark.parametrize("bad", ["", "kit/other", "kit-+", "#", "ingest", "INGEST", "a" * 65, "kit 1", "kit:1"])
def test_ids_that_could_widen_the_acl_are_refused(bad: str) -> None:
    with pytest.raises(ProvisionError):
        check_gateway_id(bad)


@pytest.mark.parametrize(("broker", "says"), [
    ("http://mqtt.example.org", "mqtt:// or mqtts://"),
    ("mqtts://", "must name the broker's host"),
    ("mqtts://mqtt.example.org?ca=/etc/nearcare/ca.crt", "unknown options"),
    ("mqtt://mqtt.example.org?cafile=/etc/nearcare/ca.crt", "cafile needs an mqtts"),
])
def test_a_broker_url_the_kit_could_not_use_is_refused(broker: str, says: str) -> None:
    with pytest.raises(ProvisionError, match=says):
        kit_url(broker, "kit-1", "secret")


def test_the_kit_url_carries_the_credentials_and_the_ca_option() -> None:
    assert (kit_url("mqtts://mqtt.example.org:8883?cafile=/etc/nearcare/ca.crt", "kit-1", "secret")
            == "mqtts://kit-1:secret@mqtt.example.org:8883?cafile=/etc/nearcare/ca.crt")


def test_the_acl_gives_gateways_only_their_own_topics() -> None:
    rules = [line for line in acl_text("ingest").splitlines() if line and not line.startswith("#")]
    gateway_rules = rules[:rules.index("user ingest")]
    assert gateway_rules == ["pattern write nearcare/v1/gw/%u/obs", "pattern write nearcare/v1/gw/%u/status",
                             "pattern write nearcare/v1/gw/%u/events", "pattern read nearcare/v1/gw/%u/cmd"]
    assert not any(r.startswith("topic") for r in gateway_rules)  # nothing outside a user block


def test_cli_provisions_and_rotates(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEARCARE_DATABASE_URL", database_url)
    runner = CliRunner()
    assert "--gateway-id" in runner.invoke(app, ["--help"]).output
    args = ["--gateway-id", "kit-0001", "--config-dir", str(tmp_path / "conf"), "--kit-dir", str(tmp_path / "kits"),
            "--broker-url", "mqtts://mqtt.example.org:8883", "--label", "SN 17", "--json"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    kit_file = tmp_path / "kits" / "kit-0001.env"
    assert stat.S_IMODE(kit_file.stat().st_mode) == 0o600
    env = dict(line.split("=", 1) for line in kit_file.read_text().splitlines() if not line.startswith("#"))
    assert env["NEARCARE_GATEWAY_ID"] == "kit-0001"
    url = env["NEARCARE_MQTT_URL"]
    assert url.startswith("mqtts://kit-0001:") and url.endswith("@mqtt.example.org:8883")
    password = url.removeprefix("mqtts://kit-0001:").split("@")[0]
    assert verify_password(read_passwd(tmp_path / "conf" / "passwd")["kit-0001"], password)
    assert (tmp_path / "conf" / "acl").read_text() == acl_text("ingest")

    second = runner.invoke(app, args)  # same id again: a new password, the old one stops working
    assert second.exit_code == 0, second.output
    entry = read_passwd(tmp_path / "conf" / "passwd")["kit-0001"]
    assert not verify_password(entry, password)
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT label FROM gateways WHERE id = 'kit-0001'").fetchall() == [("SN 17",)]
        audit = conn.execute("SELECT detail->>'new' FROM audit_log WHERE action = 'gateway.provision'"
                             " ORDER BY id").fetchall()
    assert audit == [("true",), ("false",)]

    bad = runner.invoke(app, ["--gateway-id", "ingest", "--no-database", "--config-dir", str(tmp_path / "c2")])
    assert bad.exit_code != 0 and "reserved" in bad.output
