"""The generic SIG cuff profile: any 0x1810 cuff is understood, a known model's own profile wins."""

from __future__ import annotations

from device_profiles.decoders import decode
from device_profiles.profiles import all_profiles, profile_for_advertisement


def test_at_least_eight_models_across_every_kind() -> None:
    profiles = all_profiles()
    assert len(profiles) >= 8
    assert {p.kind for p in profiles} >= {"blood_pressure_monitor", "weight_scale", "glucometer",
                                          "pulse_oximeter", "thermometer", "spirometer", "peak_flow_meter"}


def test_unknown_cuff_matches_generic_and_known_model_its_own() -> None:
    assert profile_for_advertisement("BP7000", ["1810"]).id == "generic_blood_pressure"
    assert profile_for_advertisement("A&D_UA-651_1234", ["1810"]).id == "and_ua651ble"


def test_generic_cuff_reading() -> None:
    # flags 0x00 (mmHg, no time stamp, no pulse) · 0x0072 = 114 · 0x0048 = 72 · 0x0063 = 99
    reading = decode("2a35", bytes.fromhex("00720048006300"))
    assert [(m.code, m.value) for m in reading.measurements] == [
        ("bp_systolic", 114), ("bp_diastolic", 72), ("bp_mean", 99)]
