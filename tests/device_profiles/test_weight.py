"""Weight Measurement 0x2A9D and Weight Scale Feature 0x2A9E: annotated golden payloads, SI and imperial."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from device_profiles.reading import DecodedReading, DecodeError, Measurement
from device_profiles.weight import (
    WeightScaleFeature,
    build_weight_measurement,
    build_weight_scale_feature,
    decode_weight_measurement,
    decode_weight_scale_feature,
    parse_weight_scale_feature,
)


def h(text: str) -> bytes:
    return bytes.fromhex(text)


SI_MINIMAL = b"".join(
    [
        h("00"),  # byte 0 flags = 0x00: SI (kg, m), nothing optional
        h("b036"),  # bytes 1-2 weight = uint16 0x36B0 = 14000 x 0.005 kg = 70.000 kg
    ]
)

SI_FULL = b"".join(
    [
        h("0e"),  # byte 0 flags = 0x0E: SI, time stamp, user id, BMI and height
        h("b036"),  # bytes 1-2 weight = 0x36B0 = 14000 x 0.005 = 70.0 kg
        h("e8070501070000"),  # bytes 3-9 time stamp = 2024-05-01 07:00:00
        h("01"),  # byte 10 user id = 1
        h("e500"),  # bytes 11-12 BMI = 0x00E5 = 229 x 0.1 = 22.9 kg/m2
        h("d606"),  # bytes 13-14 height = 0x06D6 = 1750 x 0.001 = 1.750 m
    ]
)

IMPERIAL = b"".join(
    [
        h("09"),  # byte 0 flags = 0x09: imperial (lb, in), BMI and height
        h("483c"),  # bytes 1-2 weight = 0x3C48 = 15432 x 0.01 lb = 154.32 lb = 69.998 kg
        h("e500"),  # bytes 3-4 BMI = 22.9 kg/m2 (BMI has no imperial form)
        h("b102"),  # bytes 5-6 height = 0x02B1 = 689 x 0.1 in = 68.9 in = 1.750 m
    ]
)


def test_si_minimal() -> None:
    assert decode_weight_measurement(SI_MINIMAL) == DecodedReading(
        "2a9d", (Measurement("body_weight", 70.0, "kg"),)
    )


def test_si_all_fields() -> None:
    assert decode_weight_measurement(SI_FULL) == DecodedReading(
        "2a9d",
        (
            Measurement("body_weight", 70.0, "kg"),
            Measurement("bmi", 22.9, "kg/m2"),
            Measurement("body_height", 1.75, "m"),
        ),
        device_time=datetime(2024, 5, 1, 7, 0, 0),
        user_index=1,
    )


def test_imperial_is_converted_to_kg_and_m() -> None:
    assert decode_weight_measurement(IMPERIAL).measurements == (
        Measurement("body_weight", 69.998, "kg"),
        Measurement("bmi", 22.9, "kg/m2"),
        Measurement("body_height", 1.75, "m"),
    )


def test_resolution_steps() -> None:
    assert decode_weight_measurement(h("000100")).measurements[0].value == 0.005  # 1 step SI
    assert decode_weight_measurement(h("010100")).measurements[0].value == 0.005  # 0.01 lb = 0.0045 kg
    assert decode_weight_measurement(h("00feff")).measurements[0].value == 327.67  # 65534 x 0.005


def test_measurement_unsuccessful() -> None:
    # weight 0xFFFF = "Measurement Unsuccessful": no value, the reason says why
    assert decode_weight_measurement(h("00ffff")).measurements == (
        Measurement("body_weight", None, "kg", "measurement_unsuccessful"),
    )


def test_unknown_user() -> None:
    reading = decode_weight_measurement(h("04b036ff"))  # flags 0x04 user id; user 0xFF = unknown
    assert (reading.user_index, reading.flags) == (None, ("user_unknown",))


@pytest.mark.parametrize("length", range(len(SI_FULL)))
def test_every_truncation_is_a_decode_error(length: int) -> None:
    with pytest.raises(DecodeError, match="2a9d: "):
        decode_weight_measurement(SI_FULL[:length])


FEATURE = b"".join(
    [
        # uint32 0x000001BF: bit 0 time stamp, bit 1 multiple users, bit 2 BMI,
        # bits 3-6 = 0111 weight resolution 0.005 kg / 0.01 lb,
        # bits 7-9 = 011 height resolution 0.001 m / 0.1 in
        h("bf010000"),
    ]
)


def test_feature() -> None:
    assert parse_weight_scale_feature(FEATURE) == WeightScaleFeature(
        time_stamp=True,
        multiple_users=True,
        bmi=True,
        weight_resolution_kg=0.005,
        weight_resolution_lb=0.01,
        height_resolution_m=0.001,
        height_resolution_in=0.1,
    )
    assert decode_weight_scale_feature(FEATURE).flags == (
        "time_stamp_supported",
        "multiple_users_supported",
        "bmi_supported",
        "weight_resolution_0_005_kg",
        "height_resolution_0_001_m",
    )


def test_feature_coarse_and_unspecified() -> None:
    # bits 3-6 = 0001: 0.5 kg / 1 lb; height bits 0 = not specified
    assert decode_weight_scale_feature(h("08000000")).flags == ("weight_resolution_0_5_kg",)
    assert decode_weight_scale_feature(h("00000000")).flags == ()


def test_builders_reproduce_the_golden_payloads() -> None:
    assert build_weight_measurement(70.0) == SI_MINIMAL
    assert (
        build_weight_measurement(70.0, time_stamp=datetime(2024, 5, 1, 7), user_id=1, bmi=22.9, height=1.75)
        == SI_FULL
    )
    assert build_weight_measurement(154.32, unit="lb", bmi=22.9, height=68.9) == IMPERIAL
    assert build_weight_measurement(None) == h("00ffff")
    assert (
        build_weight_scale_feature(
            time_stamp=True,
            multiple_users=True,
            bmi=True,
            weight_resolution_kg=0.005,
            height_resolution_m=0.001,
        )
        == FEATURE
    )


def test_builder_rejects_half_of_bmi_and_height() -> None:
    with pytest.raises(ValueError):
        build_weight_measurement(70.0, bmi=22.9)


@given(
    st.integers(0, 0xFFFE),
    st.sampled_from(["kg", "lb"]),
    st.none() | st.integers(0, 254),
    st.none() | st.tuples(st.integers(100, 600), st.integers(500, 2500)),
)
def test_round_trip_in_steps(
    steps: int, unit: str, user: int | None, bmi_height: tuple[int, int] | None
) -> None:
    step = 0.005 if unit == "kg" else 0.01
    weight = round(steps * step, 3)
    bmi = bmi_height[0] / 10 if bmi_height else None
    height = bmi_height[1] * (0.001 if unit == "kg" else 0.1) if bmi_height else None
    data = build_weight_measurement(weight, unit=unit, user_id=user, bmi=bmi, height=height)  # type: ignore[arg-type]
    reading = decode_weight_measurement(data)
    expected_kg = weight if unit == "kg" else round(weight * 0.45359237, 3)
    assert reading.measurements[0].value == pytest.approx(expected_kg, abs=0.001)
    assert reading.user_index == user
    assert len(reading.measurements) == (3 if bmi_height else 1)
