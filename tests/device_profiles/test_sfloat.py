"""IEEE 11073-20601 SFLOAT/FLOAT: golden words, every special value, exponent range, round trips."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from device_profiles.sfloat import (
    FLOAT_MANTISSA_MAX,
    SFLOAT_MANTISSA_MAX,
    NoValue,
    Special,
    encode_float,
    encode_sfloat,
    float_from_raw,
    float_to_raw,
    sfloat_from_raw,
    sfloat_to_raw,
)

# SFLOAT word = exponent (4-bit signed, bits 15-12) | mantissa (12-bit signed, bits 11-0); value = m x 10^e.
SFLOAT_GOLDEN = [
    (0x0072, 114.0),  # e=0, m=0x072=114 -> 114 (a typical systolic in mmHg)
    (0xF072, 11.4),  # e=0xF=-1, m=114 -> 11.4
    (0xF16E, 36.6),  # e=-1, m=0x16E=366 -> 36.6
    (0x0FFF, -1.0),  # e=0, m=0xFFF=-1 -> -1
    (0x0F9C, -100.0),  # e=0, m=0xF9C=-100 -> -100
    (0x2001, 100.0),  # e=2, m=1 -> 100
    (0x7001, 1e7),  # e=7 (largest), m=1
    (0x8001, 1e-8),  # e=0x8=-8 (smallest), m=1
    (0x07FD, 2045.0),  # e=0, m=2045: the largest ordinary mantissa
    (0x0803, -2045.0),  # e=0, m=0x803=-2045: the smallest ordinary mantissa
    (0x0000, 0.0),
]


@pytest.mark.parametrize(("raw", "value"), SFLOAT_GOLDEN)
def test_sfloat_golden(raw: int, value: float) -> None:
    assert sfloat_from_raw(raw) == value


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (0x07FF, NoValue.NAN),  # m=+2047
        (0x0800, NoValue.NRES),  # m=-2048
        (0x07FE, NoValue.POSITIVE_INFINITY),  # m=+2046
        (0x0802, NoValue.NEGATIVE_INFINITY),  # m=-2046
        (0x0801, NoValue.RESERVED),  # m=-2047
        (0xF7FF, NoValue.NAN),  # NaN mantissa with exponent -1 set: still no number
        (0x3800, NoValue.NRES),  # NRes mantissa with exponent 3 set
    ],
)
def test_sfloat_special_values_are_never_numbers(raw: int, reason: NoValue) -> None:
    assert sfloat_from_raw(raw) == Special(reason)


# FLOAT word = exponent (8-bit signed, bits 31-24) | mantissa (24-bit signed, bits 23-0).
@pytest.mark.parametrize(
    ("raw", "value"),
    [
        (0xFF00016E, 36.6),  # e=-1, m=366
        (0x00000025, 37.0),  # e=0, m=37
        (0xFE000E4D, 36.61),  # e=-2, m=0xE4D=3661
        (0x00FFFFFF, -1.0),  # e=0, m=-1
        (0x7F000001, 1e127),  # e=127 (largest)
        (0x80000001, 1e-128),  # e=-128 (smallest)
    ],
)
def test_float_golden(raw: int, value: float) -> None:
    assert float_from_raw(raw) == value


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (0x007FFFFF, NoValue.NAN),
        (0x00800000, NoValue.NRES),
        (0x007FFFFE, NoValue.POSITIVE_INFINITY),
        (0x00800002, NoValue.NEGATIVE_INFINITY),
        (0x00800001, NoValue.RESERVED),
        (0xFF7FFFFF, NoValue.NAN),  # exponent -1 on a NaN mantissa
    ],
)
def test_float_special_values(raw: int, reason: NoValue) -> None:
    assert float_from_raw(raw) == Special(reason)


def test_special_reasons_are_stable_snake_case_strings() -> None:
    assert [str(r) for r in NoValue] == [
        "not_a_number",
        "not_at_this_resolution",
        "positive_infinity",
        "negative_infinity",
        "reserved_for_future_use",
    ]


@pytest.mark.parametrize(
    ("value", "raw"),
    [
        (114, 0x0072),
        (11.4, 0xF072),
        (93.3, 0xF3A5),
        (36.6, 0xF16E),
        (-1, 0x0FFF),
        (100000, 0x23E8),
        (0.00099, 0xB063),
    ],
)
def test_encode_sfloat_picks_what_a_device_would_send(value: float, raw: int) -> None:
    assert sfloat_to_raw(value) == raw
    assert encode_sfloat(value) == raw.to_bytes(2, "little")


@pytest.mark.parametrize("reason", list(NoValue))
def test_encode_specials_round_trip(reason: NoValue) -> None:
    assert sfloat_from_raw(sfloat_to_raw(reason)) == Special(reason)
    assert float_from_raw(float_to_raw(reason)) == Special(reason)


def test_encode_with_fixed_exponent() -> None:
    assert sfloat_to_raw(120, exponent=-1) == 0xF4B0  # m=1200
    assert encode_float(36.6) == bytes.fromhex("6e0100ff")


# |m| x 10^7 tops out at 2.045e10
@pytest.mark.parametrize("value", [1e11, -1e11, math.inf, math.nan])
def test_encode_unrepresentable_is_a_value_error(value: float) -> None:
    with pytest.raises(ValueError):
        sfloat_to_raw(value)


def test_encode_rejects_exponent_out_of_range() -> None:
    with pytest.raises(ValueError):
        sfloat_to_raw(1, exponent=8)


@given(st.integers(0, 0xFFFF))
def test_every_sfloat_word_decodes_and_numbers_re_encode_to_the_same_value(raw: int) -> None:
    value = sfloat_from_raw(raw)
    if isinstance(value, Special):
        assert sfloat_from_raw(sfloat_to_raw(value.reason)) == value
    else:
        assert math.isfinite(value)
        assert sfloat_from_raw(sfloat_to_raw(value)) == value


@given(st.integers(0, 0xFFFF_FFFF))
def test_every_float_word_decodes_and_numbers_re_encode_to_the_same_value(raw: int) -> None:
    value = float_from_raw(raw)
    if isinstance(value, Special):
        assert float_from_raw(float_to_raw(value.reason)) == value
    else:
        assert float_from_raw(float_to_raw(value)) == value


@given(st.integers(-SFLOAT_MANTISSA_MAX, SFLOAT_MANTISSA_MAX), st.integers(-8, 7))
def test_sfloat_mantissa_exponent_round_trip(mantissa: int, exponent: int) -> None:
    raw = ((exponent & 0xF) << 12) | (mantissa & 0xFFF)
    value = sfloat_from_raw(raw)
    assert not isinstance(value, Special)
    assert sfloat_from_raw(sfloat_to_raw(value, exponent=exponent)) == value


def test_mantissa_limits() -> None:
    assert SFLOAT_MANTISSA_MAX == 2045
    assert FLOAT_MANTISSA_MAX == 2**23 - 3
