"""`nearcare device decode PROFILE CHARACTERISTIC HEX` prints the decoded reading as JSON."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from nearcare.cli_device import device_app

app = typer.Typer()
app.add_typer(device_app, name="device")
runner = CliRunner()


def test_decode_blood_pressure() -> None:
    # flags 0x1E; 114/70/93.3 mmHg; 2024-05-01 08:30:45; pulse 64; user 2; irregular pulse
    result = runner.invoke(
        app,
        ["device", "decode", "and_ua651ble", "2a35", "1e 7200 4600 a5f3 e807 05 01 08 1e 2d 4000 02 0400"],
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["profile"] == "and_ua651ble"
    assert body["device_time"] == "2024-05-01T08:30:45"
    assert body["user_index"] == 2
    assert body["flags"] == ["irregular_pulse"]
    assert body["measurements"][0] == {
        "code": "bp_systolic",
        "loinc": "8480-6",
        "npu": "NPU57947",
        "name": "Systolic blood pressure",
        "value": 114.0,
        "unit": "mm[Hg]",
        "no_value_reason": None,
    }
    assert [m["code"] for m in body["measurements"]] == [
        "bp_systolic",
        "bp_diastolic",
        "bp_mean",
        "pulse_rate",
    ]


def test_decode_weight_with_colons() -> None:
    result = runner.invoke(app, ["device", "decode", "and_uc352ble", "2A9D", "00:b0:36"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["measurements"][0]["value"] == 70.0


def test_malformed_bytes_exit_non_zero_with_reason() -> None:
    result = runner.invoke(app, ["device", "decode", "and_ua651ble", "2a35", "1e7200"])
    assert result.exit_code == 2
    assert "cannot decode: 2a35: diastolic needs 2 byte(s)" in result.output


def test_characteristic_not_in_profile() -> None:
    result = runner.invoke(app, ["device", "decode", "and_ua651ble", "2a9d", "00b036"])
    assert result.exit_code == 2
    assert "has no characteristic '2a9d'" in result.output


def test_unknown_profile_and_bad_hex() -> None:
    assert runner.invoke(app, ["device", "decode", "nope", "2a35", "00"]).exit_code == 2
    result = runner.invoke(app, ["device", "decode", "and_ua651ble", "2a35", "zz"])
    assert result.exit_code == 2 and "not hexadecimal" in result.output


def test_help_and_profiles() -> None:
    assert runner.invoke(app, ["device", "decode", "--help"]).exit_code == 0
    result = runner.invoke(app, ["device", "profiles"])
    assert result.exit_code == 0 and "and_uc352ble" in result.output
