"""Blood Pressure Service characteristics: Blood Pressure Measurement (0x2A35), Intermediate Cuff Pressure
(0x2A36) and Blood Pressure Feature (0x2A49) — decoders and the matching builders for simulators."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from device_profiles.cursor import Cursor
from device_profiles.date_time import date_time_bytes, read_date_time
from device_profiles.reading import DecodedReading, Measurement
from device_profiles.sfloat import NoValue, Special, encode_sfloat
from device_profiles.units import kpa_to_mmhg, measurement

BLOOD_PRESSURE_MEASUREMENT = "2a35"
INTERMEDIATE_CUFF_PRESSURE = "2a36"
BLOOD_PRESSURE_FEATURE = "2a49"

PressureUnit = Literal["mmHg", "kPa"]

# [BLS 1.1.1, Blood Pressure Measurement: Flags] bits 5-7 are reserved and ignored on receipt.
_UNITS_KPA = 0x01
_TIME_STAMP = 0x02
_PULSE_RATE = 0x04
_USER_ID = 0x08
_STATUS = 0x10

# [BLS 1.1.1, Blood Pressure Measurement: Measurement Status] single bits -> quality flag.
_STATUS_BITS = (
    (0, "body_movement"),
    (1, "cuff_too_loose"),
    (2, "irregular_pulse"),
    (5, "improper_measurement_position"),
)
# Bits 3-4 form one 2-bit field: 0 = pulse rate within range.
_PULSE_RANGE = {1: "pulse_rate_above_range", 2: "pulse_rate_below_range", 3: "pulse_rate_range_reserved"}
STATUS_FLAGS = frozenset({name for _, name in _STATUS_BITS} | set(_PULSE_RANGE.values()))

# [BLS 1.1.1, Blood Pressure Feature] bit -> supported feature. Later bits are reserved here.
_FEATURE_BITS = (
    (0, "body_movement_detection_supported"),
    (1, "cuff_fit_detection_supported"),
    (2, "irregular_pulse_detection_supported"),
    (3, "pulse_rate_range_detection_supported"),
    (4, "measurement_position_detection_supported"),
    (5, "multiple_bonds_supported"),
)
FEATURE_FLAGS = frozenset(name for _, name in _FEATURE_BITS)

UNKNOWN_USER = 0xFF  # [BLS 1.1.1, User ID] 0xFF means "unknown user"


def _status_flags(status: int) -> tuple[str, ...]:
    flags = [name for bit, name in _STATUS_BITS if status & (1 << bit)]
    pulse_range = (status >> 3) & 0x03
    if pulse_range:
        flags.append(_PULSE_RANGE[pulse_range])
    return tuple(flags)


def _status_word(flags: Iterable[str]) -> int:
    bits = {n: b for b, n in _STATUS_BITS}
    ranges = {n: v for v, n in _PULSE_RANGE.items()}
    word = 0
    for name in flags:
        if name in bits:
            word |= 1 << bits[name]
        elif name in ranges:
            word |= ranges[name] << 3
        else:
            raise ValueError(f"unknown blood pressure status flag {name!r}")
    return word


def _user(user_id: int) -> tuple[int | None, tuple[str, ...]]:
    return (None, ("user_unknown",)) if user_id == UNKNOWN_USER else (user_id, ())


def _pressure(code: str, value: float | Special, kpa: bool) -> Measurement:
    # Everything leaves in mm[Hg]: clinicians and the per-patient ranges work in mmHg.
    return measurement(code, value, kpa_to_mmhg if kpa else None)


def _decode_common(cursor: Cursor, codes: tuple[str | None, str | None, str | None]) -> DecodedReading:
    flags_byte = cursor.uint8("flags")
    kpa = bool(flags_byte & _UNITS_KPA)
    measurements: list[Measurement] = []
    for code, field in zip(codes, ("systolic", "diastolic", "mean arterial pressure"), strict=True):
        value = cursor.sfloat(field)
        if code is not None:
            measurements.append(_pressure(code, value, kpa))
    flags: list[str] = []
    device_time: datetime | None = None
    if flags_byte & _TIME_STAMP:
        device_time, time_flags = read_date_time(cursor)
        flags.extend(time_flags)
    if flags_byte & _PULSE_RATE:
        measurements.append(measurement("pulse_rate", cursor.sfloat("pulse rate")))
    user_index: int | None = None
    if flags_byte & _USER_ID:
        user_index, user_flags = _user(cursor.uint8("user id"))
        flags.extend(user_flags)
    if flags_byte & _STATUS:
        flags.extend(_status_flags(cursor.uint16("measurement status")))
    flags.extend(cursor.trailing_flags())
    return DecodedReading(
        cursor.characteristic,
        tuple(measurements),
        device_time=device_time,
        user_index=user_index,
        flags=tuple(flags),
    )


def decode_blood_pressure_measurement(data: bytes) -> DecodedReading:
    """0x2A35: systolic, diastolic and mean arterial pressure (always returned in mm[Hg]), optional
    time stamp, pulse rate, user id and measurement status (as quality flags)."""
    return _decode_common(
        Cursor(data, BLOOD_PRESSURE_MEASUREMENT), ("bp_systolic", "bp_diastolic", "bp_mean")
    )


def decode_intermediate_cuff_pressure(data: bytes) -> DecodedReading:
    """0x2A36: the live cuff pressure while the cuff inflates/deflates. Same layout as 0x2A35; the diastolic
    and mean fields are unused [BLS 1.1.1, Intermediate Cuff Pressure] and are skipped."""
    return _decode_common(Cursor(data, INTERMEDIATE_CUFF_PRESSURE), ("cuff_pressure", None, None))


def decode_blood_pressure_feature(data: bytes) -> DecodedReading:
    """0x2A49: which status bits the cuff can ever set, as ``..._supported`` flags."""
    cursor = Cursor(data, BLOOD_PRESSURE_FEATURE)
    word = cursor.uint16("blood pressure feature")
    flags = tuple(name for bit, name in _FEATURE_BITS if word & (1 << bit))
    return DecodedReading(BLOOD_PRESSURE_FEATURE, (), flags=flags + cursor.trailing_flags())


def _build_common(
    pressures: tuple[float | NoValue, float | NoValue, float | NoValue],
    unit: PressureUnit,
    time_stamp: datetime | None,
    pulse_rate: float | NoValue | None,
    user_id: int | None,
    status: Iterable[str] | None,
    time_stamp_present: bool,
) -> bytes:
    flags = _UNITS_KPA if unit == "kPa" else 0
    body = b"".join(encode_sfloat(p) for p in pressures)
    if time_stamp is not None or time_stamp_present:
        flags |= _TIME_STAMP
        body += date_time_bytes(time_stamp)
    if pulse_rate is not None:
        flags |= _PULSE_RATE
        body += encode_sfloat(pulse_rate)
    if user_id is not None:
        if not 0 <= user_id <= 0xFF:
            raise ValueError("user_id must be 0..255")
        flags |= _USER_ID
        body += bytes([user_id])
    if status is not None:
        flags |= _STATUS
        body += _status_word(status).to_bytes(2, "little")
    return bytes([flags]) + body


def build_blood_pressure_measurement(
    systolic: float | NoValue,
    diastolic: float | NoValue,
    mean: float | NoValue,
    *,
    unit: PressureUnit = "mmHg",
    time_stamp: datetime | None = None,
    pulse_rate: float | NoValue | None = None,
    user_id: int | None = None,
    status: Iterable[str] | None = None,
    time_stamp_unknown: bool = False,
) -> bytes:
    """Bytes of a 0x2A35 value, pressures in ``unit`` as the device would send them. Optional fields are
    present exactly when given; ``status=()`` sends an all-clear status word; ``time_stamp_unknown`` sends a
    time stamp of all zeros ("not known")."""
    return _build_common(
        (systolic, diastolic, mean), unit, time_stamp, pulse_rate, user_id, status, time_stamp_unknown
    )


def build_intermediate_cuff_pressure(
    pressure: float | NoValue,
    *,
    unit: PressureUnit = "mmHg",
    time_stamp: datetime | None = None,
    pulse_rate: float | NoValue | None = None,
    user_id: int | None = None,
    status: Iterable[str] | None = None,
) -> bytes:
    """Bytes of a 0x2A36 value; the unused diastolic and mean fields carry NaN as the service requires."""
    return _build_common(
        (pressure, NoValue.NAN, NoValue.NAN), unit, time_stamp, pulse_rate, user_id, status, False
    )


def build_blood_pressure_feature(features: Iterable[str]) -> bytes:
    bits = {name: bit for bit, name in _FEATURE_BITS}
    word = 0
    for name in features:
        if name not in bits:
            raise ValueError(f"unknown blood pressure feature {name!r}")
        word |= 1 << bits[name]
    return word.to_bytes(2, "little")
