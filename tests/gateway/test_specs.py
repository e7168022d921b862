"""The gateway is driven by the shipped TOML profiles, and the simulator implements those same profiles."""

from __future__ import annotations

import pytest

from device_profiles.profiles import all_profiles, load_profile, profile_for_advertisement
from gateway.session import DeviceSpec
from gateway.sim.devices import KINDS
from gateway.specs import spec_for, spec_from_profile


@pytest.mark.parametrize(("profile_id", "expected"), [
    ("and_ua651ble", DeviceSpec("and_ua651ble", (("2a35", True),), "writable", bonding=True,
                                time_characteristic="2a08", battery=True)),
    ("and_uc352ble", DeviceSpec("and_uc352ble", (("2a9d", True),), "writable", bonding=True,
                                time_characteristic="2a08", battery=True)),
    ("generic_glucose_meter", DeviceSpec("generic_glucose_meter", (("2a18", False), ("2a34", False)), "readable",
                                         bonding=True, time_characteristic="2a2b", racp="2a52", battery=True,
                                         optional=("2a34",),
                                         device_information=("2a29", "2a24", "2a25", "2a26"))),
    ("generic_pulse_oximeter", DeviceSpec("generic_pulse_oximeter", (("2a5e", True),), "none", bonding=False,
                                          battery=True)),
    ("generic_thermometer", DeviceSpec("generic_thermometer", (("2a1c", True),), "readable", bonding=False,
                                       battery=True)),
])
def test_spec_from_each_shipped_profile(profile_id: str, expected: DeviceSpec) -> None:
    assert spec_from_profile(load_profile(profile_id)) == expected
    assert spec_for(profile_id) == expected


def test_every_shipped_profile_gives_a_spec() -> None:
    for profile in all_profiles():
        spec = spec_from_profile(profile)
        assert spec.measurements, profile.id  # something to subscribe to
        assert all(mode in (True, False) for _, mode in spec.measurements)


def test_simulated_kinds_implement_shipped_profiles() -> None:
    assert {k: v.profile_id for k, v in KINDS.items()} == {
        "bp": "and_ua651ble", "weight": "and_uc352ble", "glucose": "generic_glucose_meter",
        "spo2": "generic_pulse_oximeter", "temp": "generic_thermometer", "spirometry": "home_spirometer_vl1",
        "peak_flow": "peak_flow_meter_vl1"}
    for kind in KINDS.values():
        # What the simulated device advertises is recognised as its own profile.
        assert profile_for_advertisement(kind.name, (kind.service,)) == kind.profile, kind.kind
        assert kind.spec == spec_from_profile(kind.profile)


def test_advertised_names() -> None:
    assert KINDS["bp"].name == "A&D_UA-651"
    assert KINDS["glucose"].name == "Glucose Profile meter"
    assert KINDS["glucose"].racp == "2a52" and KINDS["bp"].racp is None
    assert KINDS["spirometry"].name == "SPIRO-VL1"
