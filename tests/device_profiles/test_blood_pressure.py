"""Blood Pressure Measurement 0x2A35, Intermediate Cuff Pressure 0x2A36, Blood Pressure Feature 0x2A49:
annotated golden payloads compared whole, truncations, builder round trips."""

from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from device_profiles.blood_pressure import (
    FEATURE_FLAGS,
    STATUS_FLAGS,
    build_blood_pressure_feature,
    build_blood_pressure_measurement,
    build_intermediate_cuff_pressure,
    decode_blood_pressure_feature,
    decode_blood_pressure_measurement,
    decode_intermediate_cuff_pressure,
)
from device_profiles.reading import DecodedReading, DecodeError, Measurement
from device_profiles.sfloat import NoValue

MMHG = "mm[Hg]"


def h(text: str) -> bytes:
    return bytes.fromhex(text)


MINIMAL = b"".join(
    [
        h("00"),  # byte 0 flags = 0x00: mmHg, no time stamp, pulse, user or status
        h("7800"),  # bytes 1-2 systolic  = SFLOAT 0x0078 = 120 mmHg
        h("5000"),  # bytes 3-4 diastolic = SFLOAT 0x0050 = 80 mmHg
        h("5d00"),  # bytes 5-6 MAP       = SFLOAT 0x005D = 93 mmHg
    ]
)

FULL = b"".join(
    [
        h("1e"),  # byte 0 flags = 0x1E: mmHg (bit0=0), time stamp, pulse rate, user id, measurement status
        h("7200"),  # bytes 1-2 systolic  = SFLOAT 0x0072 = 114 mmHg
        h("4600"),  # bytes 3-4 diastolic = SFLOAT 0x0046 = 70 mmHg
        h("a5f3"),  # bytes 5-6 MAP       = SFLOAT 0xF3A5 = 933 x 10^-1 = 93.3 mmHg
        h("e807"),  # bytes 7-8 year      = 0x07E8 = 2024
        h("05"),  # byte 9 month = 5
        h("01"),  # byte 10 day = 1
        h("08"),  # byte 11 hours = 8
        h("1e"),  # byte 12 minutes = 30
        h("2d"),  # byte 13 seconds = 45
        h("4000"),  # bytes 14-15 pulse rate = SFLOAT 0x0040 = 64 /min
        h("02"),  # byte 16 user id = 2
        h("0400"),  # bytes 17-18 status = 0x0004: bit 2 irregular pulse
    ]
)


def test_minimal_mmhg() -> None:
    assert decode_blood_pressure_measurement(MINIMAL) == DecodedReading(
        "2a35",
        (
            Measurement("bp_systolic", 120.0, MMHG),
            Measurement("bp_diastolic", 80.0, MMHG),
            Measurement("bp_mean", 93.0, MMHG),
        ),
    )


def test_all_optional_fields() -> None:
    assert decode_blood_pressure_measurement(FULL) == DecodedReading(
        "2a35",
        (
            Measurement("bp_systolic", 114.0, MMHG),
            Measurement("bp_diastolic", 70.0, MMHG),
            Measurement("bp_mean", 93.3, MMHG),
            Measurement("pulse_rate", 64.0, "/min"),
        ),
        device_time=datetime(2024, 5, 1, 8, 30, 45),
        user_index=2,
        flags=("irregular_pulse",),
    )


def test_kpa_is_converted_to_mmhg() -> None:
    data = b"".join(
        [
            h("01"),  # flags = 0x01: kPa
            h("a0f0"),  # systolic  = SFLOAT 0xF0A0 = 160 x 10^-1 = 16.0 kPa = 120.0 mmHg
            h("6bf0"),  # diastolic = SFLOAT 0xF06B = 10.7 kPa = 80.3 mmHg
            h("7cf0"),  # MAP       = SFLOAT 0xF07C = 12.4 kPa = 93.0 mmHg
        ]
    )
    reading = decode_blood_pressure_measurement(data)
    assert reading.measurements == (
        Measurement("bp_systolic", 120.0, MMHG),
        Measurement("bp_diastolic", 80.3, MMHG),
        Measurement("bp_mean", 93.0, MMHG),
    )


@pytest.mark.parametrize(
    ("status", "flags"),
    [
        ("0000", ()),
        ("0100", ("body_movement",)),  # bit 0
        ("0200", ("cuff_too_loose",)),  # bit 1
        ("0800", ("pulse_rate_above_range",)),  # bits 3-4 = 01
        ("1000", ("pulse_rate_below_range",)),  # bits 3-4 = 10
        ("1800", ("pulse_rate_range_reserved",)),  # bits 3-4 = 11
        ("2000", ("improper_measurement_position",)),  # bit 5
        (
            "2f00",
            (
                "body_movement",
                "cuff_too_loose",
                "irregular_pulse",
                "improper_measurement_position",
                "pulse_rate_above_range",
            ),
        ),  # 0x2F = bits 0,1,2,3,5
        ("c0ff", ()),  # bits 6-15 reserved: ignored
    ],
)
def test_measurement_status_bits(status: str, flags: tuple[str, ...]) -> None:
    # flags = 0x10: status present; pressures 120/80/93; then the status word
    reading = decode_blood_pressure_measurement(h("10780050005d00") + h(status))
    assert reading.flags == flags


def test_special_values_give_no_value_with_reason() -> None:
    data = b"".join(
        [
            h("04"),  # flags = 0x04: pulse rate present
            h("ff07"),  # systolic  = SFLOAT 0x07FF = NaN
            h("0008"),  # diastolic = SFLOAT 0x0800 = NRes
            h("fe07"),  # MAP       = SFLOAT 0x07FE = +INFINITY
            h("0208"),  # pulse     = SFLOAT 0x0802 = -INFINITY
        ]
    )
    assert decode_blood_pressure_measurement(data).measurements == (
        Measurement("bp_systolic", None, MMHG, "not_a_number"),
        Measurement("bp_diastolic", None, MMHG, "not_at_this_resolution"),
        Measurement("bp_mean", None, MMHG, "positive_infinity"),
        Measurement("pulse_rate", None, "/min", "negative_infinity"),
    )


def test_unknown_user_and_unknown_time() -> None:
    data = b"".join(
        [
            h("0a"),  # flags = 0x0A: time stamp, user id
            h("780050005d00"),  # 120 / 80 / 93 mmHg
            h("00000000000000"),  # time stamp all zero = "not known"
            h("ff"),  # user id 0xFF = unknown user
        ]
    )
    reading = decode_blood_pressure_measurement(data)
    assert reading.device_time is None
    assert reading.user_index is None
    assert reading.flags == ("device_time_unknown", "user_unknown")


def test_trailing_bytes_are_flagged_not_dropped() -> None:
    reading = decode_blood_pressure_measurement(MINIMAL + h("aa"))
    assert reading.flags == ("trailing_bytes_ignored",)
    assert reading.measurements[0].value == 120.0


@pytest.mark.parametrize("length", range(len(FULL)))
def test_every_truncation_is_a_decode_error(length: int) -> None:
    with pytest.raises(DecodeError, match=r"2a35: .* needs"):
        decode_blood_pressure_measurement(FULL[:length])


@pytest.mark.parametrize(
    ("time", "problem"),
    [
        ("e8070d01000000", "not a date"),  # month 13
        ("e807021e000000", "not a date"),  # 30 February
        ("e8070501180000", "not a time of day"),  # hour 24
        ("01000501000000", "outside 1582..9999"),
    ],  # year 1
)
def test_impossible_time_stamp_is_a_decode_error(time: str, problem: str) -> None:
    with pytest.raises(DecodeError, match=problem):
        decode_blood_pressure_measurement(h("02780050005d00") + h(time))


def test_intermediate_cuff_pressure() -> None:
    data = b"".join(
        [
            h("04"),  # flags = 0x04: pulse rate present
            h("9600"),  # bytes 1-2 current cuff pressure = SFLOAT 0x0096 = 150 mmHg
            h("ff07"),  # bytes 3-4 diastolic: unused, NaN
            h("ff07"),  # bytes 5-6 MAP: unused, NaN
            h("ff07"),  # bytes 7-8 pulse rate = NaN (not yet known while inflating)
        ]
    )
    assert decode_intermediate_cuff_pressure(data) == DecodedReading(
        "2a36",
        (Measurement("cuff_pressure", 150.0, MMHG), Measurement("pulse_rate", None, "/min", "not_a_number")),
    )


@pytest.mark.parametrize(
    ("word", "flags"),
    [
        ("0000", ()),
        ("0500", ("body_movement_detection_supported", "irregular_pulse_detection_supported")),  # bits 0, 2
        (
            "3f00",
            (
                "body_movement_detection_supported",
                "cuff_fit_detection_supported",
                "irregular_pulse_detection_supported",
                "pulse_rate_range_detection_supported",
                "measurement_position_detection_supported",
                "multiple_bonds_supported",
            ),
        ),
    ],  # bits 0-5
)
def test_feature(word: str, flags: tuple[str, ...]) -> None:
    assert decode_blood_pressure_feature(h(word)) == DecodedReading("2a49", (), flags=flags)


def test_feature_too_short() -> None:
    with pytest.raises(DecodeError, match="blood pressure feature needs 2 byte"):
        decode_blood_pressure_feature(h("05"))


def test_builders_reproduce_the_golden_payloads() -> None:
    assert build_blood_pressure_measurement(120, 80, 93) == MINIMAL
    assert (
        build_blood_pressure_measurement(
            114,
            70,
            93.3,
            time_stamp=datetime(2024, 5, 1, 8, 30, 45),
            pulse_rate=64,
            user_id=2,
            status=["irregular_pulse"],
        )
        == FULL
    )
    assert build_intermediate_cuff_pressure(150, pulse_rate=NoValue.NAN) == h("049600ff07ff07ff07")
    assert build_blood_pressure_feature(sorted(FEATURE_FLAGS)) == h("3f00")


def test_builders_reject_unknown_names() -> None:
    with pytest.raises(ValueError):
        build_blood_pressure_measurement(120, 80, 93, status=["wobbly"])
    with pytest.raises(ValueError):
        build_blood_pressure_feature(["teleportation_supported"])


pressures = st.integers(30, 300).map(float) | st.sampled_from(list(NoValue))
times = st.none() | st.datetimes(datetime(2000, 1, 1), datetime(2099, 12, 31)).map(
    lambda d: d.replace(microsecond=0)
)


@given(
    pressures,
    pressures,
    pressures,
    times,
    st.none() | st.integers(20, 250).map(float),
    st.none() | st.integers(0, 254),
    st.none()
    | st.sets(
        st.sampled_from(sorted(STATUS_FLAGS - {"pulse_rate_below_range", "pulse_rate_range_reserved"}))
    ),
)
def test_build_decode_round_trip(
    sys: float | NoValue,
    dia: float | NoValue,
    mean: float | NoValue,
    time: datetime | None,
    pulse: float | None,
    user: int | None,
    status: set[str] | None,
) -> None:
    reading = decode_blood_pressure_measurement(
        build_blood_pressure_measurement(
            sys, dia, mean, time_stamp=time, pulse_rate=pulse, user_id=user, status=status
        )
    )
    for m, sent in zip(reading.measurements, (sys, dia, mean), strict=False):
        if isinstance(sent, NoValue):
            assert (m.value, m.no_value_reason) == (None, str(sent))
        else:
            assert m.value == sent
    assert reading.device_time == time
    assert reading.user_index == user
    assert set(reading.flags) == (status or set())
    assert (pulse is not None) == any(m.code == "pulse_rate" for m in reading.measurements)
