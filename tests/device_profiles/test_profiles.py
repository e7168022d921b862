"""Device profiles: the shipped TOML files load, advertisements find the right one, and a broken profile
fails at load naming the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from device_profiles.profiles import (
    DeviceProfile,
    ProfileError,
    all_profiles,
    load_profile,
    load_profile_file,
    profile_for_advertisement,
)

SHIPPED = {
    "and_ua651ble",
    "and_uc352ble",
    "generic_blood_pressure",
    "generic_glucose_meter",
    "generic_pulse_oximeter",
    "generic_thermometer",
    "home_spirometer_vl1",
    "peak_flow_meter_vl1",
}

GOOD = """
id = "{id}"
manufacturer = "Example"
model = "X-1"
kind = "weight_scale"
bonding_required = false

[discovery]
service_uuids = ["181D"]
name_patterns = ["^X-1"]

[[characteristics]]
uuid = "2A9D"
decoder = "weight_measurement"
mode = "indicate"

[records]
mode = "live"

[clock]
current_time_writable = false
"""


def test_shipped_profiles_load() -> None:
    profiles = all_profiles()
    assert {p.id for p in profiles} == SHIPPED
    assert [p.id for p in profiles] == sorted(p.id for p in profiles)


def test_blood_pressure_cuff_profile() -> None:
    cuff = load_profile("and_ua651ble")
    assert (cuff.kind, cuff.bonding_required, cuff.records.mode) == (
        "blood_pressure_monitor",
        True,
        "sent_on_connect",
    )
    assert cuff.clock.time_characteristic == "2a08"
    measurement = cuff.characteristic("00002a35-0000-1000-8000-00805f9b34fb")
    assert measurement is not None and (measurement.decoder, measurement.mode) == (
        "blood_pressure_measurement",
        "indicate",
    )


def test_glucometer_uses_racp() -> None:
    assert load_profile("generic_glucose_meter").records.racp_uuid == "2a52"


@pytest.mark.parametrize(
    ("name", "services", "expected"),
    [
        ("A&D_UA-651BLE_A1B2", ["1810"], "and_ua651ble"),
        ("A&D_UA-651BLE", [], "and_ua651ble"),  # name alone identifies the model
        ("A&D_UC-352BLE", ["0000181d-0000-1000-8000-00805f9b34fb"], "and_uc352ble"),
        (None, ["00001808-0000-1000-8000-00805f9b34fb"], "generic_glucose_meter"),
        ("SomeOximeter", ["1822"], "generic_pulse_oximeter"),
        ("Thermo", ["1809"], "generic_thermometer"),
        ("SPIRO-VL1 0042", ["8d2a0001-3b7c-4e2a-9f61-5e2b6c8a1d40"], "home_spirometer_vl1"),
        ("PEF-VL1", [], "peak_flow_meter_vl1"),
        ("Unknown cuff", ["1810"], "generic_blood_pressure"),  # any SIG cuff; the A&D profile needs its name
        (None, [], None),
    ],
)
def test_profile_for_advertisement(name: str | None, services: list[str], expected: str | None) -> None:
    found = profile_for_advertisement(name, services)
    assert (found.id if found else None) == expected


def test_unknown_profile_id() -> None:
    with pytest.raises(ProfileError, match="no such profile; known: and_ua651ble"):
        load_profile("nope")


def test_good_profile_from_a_directory(tmp_path: Path) -> None:
    (tmp_path / "example_x1.toml").write_text(GOOD.format(id="example_x1"))
    profile = load_profile("example_x1", directory=tmp_path)
    assert isinstance(profile, DeviceProfile)
    assert profile.characteristics[0].uuid == "2a9d"  # normalised to lower case
    assert profile.discovery.service_uuids == ("181d",)
    assert all_profiles(tmp_path) == (profile,)


BROKEN = [
    # (what to replace in GOOD, with what, expected key, part of the problem)
    (
        'decoder = "weight_measurement"',
        'decoder = "weight_measurment"',
        "characteristics[0].decoder",
        "unknown decoder 'weight_measurment'",
    ),
    ('uuid = "2A9D"', 'uuid = "2a35"', "characteristics[0]", "reads characteristic 2a9d, not 2a35"),
    ('mode = "indicate"', 'mode = "shout"', "characteristics[0].mode", "notify"),
    ('kind = "weight_scale"', 'kind = "toaster"', "kind", "blood_pressure_monitor"),
    ("bonding_required = false", "bonding_required = false\nbonding = true", "bonding", "unknown key"),
    ('manufacturer = "Example"\n', "", "manufacturer", "required key is missing"),
    ("current_time_writable = false", "current_time_writable = true", "clock", "time_characteristic"),
    ('mode = "live"', 'mode = "racp"', "records", "racp_uuid is required"),
    (
        'name_patterns = ["^X-1"]',
        'name_patterns = ["^X-(1"]',
        "discovery.name_patterns",
        "not a regular expression",
    ),
    ('service_uuids = ["181D"]', 'service_uuids = ["18"]', "discovery.service_uuids", "neither a 16-bit id"),
    ('id = "{id}"', 'id = "other_name"', "id", "must equal the file name"),
    ("[records]", "[records", "<toml>", "not valid TOML"),
]


@pytest.mark.parametrize(("old", "new", "key", "problem"), BROKEN)
def test_broken_profile_names_file_and_key(
    tmp_path: Path, old: str, new: str, key: str, problem: str
) -> None:
    assert old in GOOD
    path = tmp_path / "broken_scale.toml"
    path.write_text(GOOD.replace(old, new).format(id="broken_scale"))
    with pytest.raises(ProfileError) as caught:
        load_profile_file(path)
    error = caught.value
    assert (error.file, error.key) == ("broken_scale.toml", key)
    assert problem in error.problem
    assert str(error).startswith(f"broken_scale.toml: {key}: ")
