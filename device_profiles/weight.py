"""Weight Scale Service characteristics: Weight Measurement (0x2A9D) and Weight Scale Feature (0x2A9E) —
decoders and the matching builders for simulators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from device_profiles.cursor import Cursor
from device_profiles.date_time import date_time_bytes, read_date_time
from device_profiles.reading import DecodedReading, Measurement
from device_profiles.units import inch_to_m, lb_to_kg

WEIGHT_MEASUREMENT = "2a9d"
WEIGHT_SCALE_FEATURE = "2a9e"

MassUnit = Literal["kg", "lb"]

# [WSS 1.0.1, Weight Measurement: Flags] bit 0 selects SI (kg, m) or imperial (lb, in); bits 4-7 reserved.
_IMPERIAL = 0x01
_TIME_STAMP = 0x02
_USER_ID = 0x04
_BMI_HEIGHT = 0x08

# [WSS 1.0.1, Weight Measurement] resolutions of the uint16 fields, as exact decimal steps.
_WEIGHT_STEP = {"kg": 0.005, "lb": 0.01}
_HEIGHT_STEP = {"kg": 0.001, "lb": 0.1}  # metres with SI, inches with imperial
_BMI_STEP = 0.1
# [WSS 1.0.1, Weight field] 0xFFFF = "Measurement Unsuccessful".
MEASUREMENT_UNSUCCESSFUL = 0xFFFF
UNKNOWN_USER = 0xFF

# [WSS 1.0.1, Weight Scale Feature] 4-bit weight and 3-bit height resolution codes -> (SI, imperial) step.
_WEIGHT_RESOLUTION: dict[int, tuple[float, float]] = {
    1: (0.5, 1.0),
    2: (0.2, 0.5),
    3: (0.1, 0.2),
    4: (0.05, 0.1),
    5: (0.02, 0.05),
    6: (0.01, 0.02),
    7: (0.005, 0.01),
}
_HEIGHT_RESOLUTION: dict[int, tuple[float, float]] = {1: (0.01, 1.0), 2: (0.005, 0.5), 3: (0.001, 0.1)}


def _steps(raw: int, step: float, decimals: int) -> float:
    return round(raw * step, decimals)


def decode_weight_measurement(data: bytes) -> DecodedReading:
    """0x2A9D: body weight (always returned in kg), optional time stamp, user id, BMI and height (in m)."""
    cursor = Cursor(data, WEIGHT_MEASUREMENT)
    flags_byte = cursor.uint8("flags")
    unit: MassUnit = "lb" if flags_byte & _IMPERIAL else "kg"
    raw_weight = cursor.uint16("weight")
    measurements: list[Measurement] = []
    if raw_weight == MEASUREMENT_UNSUCCESSFUL:
        measurements.append(
            Measurement("body_weight", None, "kg", no_value_reason="measurement_unsuccessful")
        )
    elif unit == "kg":
        measurements.append(Measurement("body_weight", _steps(raw_weight, 0.005, 3), "kg"))
    else:
        measurements.append(Measurement("body_weight", lb_to_kg(_steps(raw_weight, 0.01, 2)), "kg"))
    flags: list[str] = []
    device_time: datetime | None = None
    if flags_byte & _TIME_STAMP:
        device_time, time_flags = read_date_time(cursor)
        flags.extend(time_flags)
    user_index: int | None = None
    if flags_byte & _USER_ID:
        user = cursor.uint8("user id")
        if user == UNKNOWN_USER:
            flags.append("user_unknown")
        else:
            user_index = user
    if flags_byte & _BMI_HEIGHT:
        bmi = cursor.uint16("bmi")
        height = cursor.uint16("height")
        measurements.append(Measurement("bmi", _steps(bmi, _BMI_STEP, 1), "kg/m2"))
        metres = _steps(height, 0.001, 3) if unit == "kg" else inch_to_m(_steps(height, 0.1, 1))
        measurements.append(Measurement("body_height", metres, "m"))
    flags.extend(cursor.trailing_flags())
    return DecodedReading(
        WEIGHT_MEASUREMENT,
        tuple(measurements),
        device_time=device_time,
        user_index=user_index,
        flags=tuple(flags),
    )


def _raw(value: float, step: float, field: str) -> int:
    raw = round(value / step)
    if not 0 <= raw < MEASUREMENT_UNSUCCESSFUL:
        raise ValueError(f"{field} {value} does not fit a uint16 in steps of {step}")
    return raw


def build_weight_measurement(
    weight: float | None,
    *,
    unit: MassUnit = "kg",
    time_stamp: datetime | None = None,
    user_id: int | None = None,
    bmi: float | None = None,
    height: float | None = None,
    time_stamp_unknown: bool = False,
) -> bytes:
    """Bytes of a 0x2A9D value. ``weight`` and ``height`` are in the unit system of ``unit`` (kg and m, or lb
    and in), rounded to the field resolution; ``weight=None`` sends "Measurement Unsuccessful"."""
    if (bmi is None) != (height is None):
        raise ValueError("bmi and height travel together: give both or neither")
    flags = _IMPERIAL if unit == "lb" else 0
    raw_weight = MEASUREMENT_UNSUCCESSFUL if weight is None else _raw(weight, _WEIGHT_STEP[unit], "weight")
    body = raw_weight.to_bytes(2, "little")
    if time_stamp is not None or time_stamp_unknown:
        flags |= _TIME_STAMP
        body += date_time_bytes(time_stamp)
    if user_id is not None:
        if not 0 <= user_id <= 0xFF:
            raise ValueError("user_id must be 0..255")
        flags |= _USER_ID
        body += bytes([user_id])
    if bmi is not None and height is not None:
        flags |= _BMI_HEIGHT
        body += _raw(bmi, _BMI_STEP, "bmi").to_bytes(2, "little")
        body += _raw(height, _HEIGHT_STEP[unit], "height").to_bytes(2, "little")
    return bytes([flags]) + body


@dataclass(frozen=True)
class WeightScaleFeature:
    """What a scale can do, from 0x2A9E. Resolutions are None when the scale does not say."""

    time_stamp: bool
    multiple_users: bool
    bmi: bool
    weight_resolution_kg: float | None
    weight_resolution_lb: float | None
    height_resolution_m: float | None
    height_resolution_in: float | None


def parse_weight_scale_feature(data: bytes) -> WeightScaleFeature:
    cursor = Cursor(data, WEIGHT_SCALE_FEATURE)
    word = cursor.uint(4, "weight scale feature")
    weight = _WEIGHT_RESOLUTION.get((word >> 3) & 0x0F)
    height = _HEIGHT_RESOLUTION.get((word >> 7) & 0x07)
    return WeightScaleFeature(
        time_stamp=bool(word & 0x01),
        multiple_users=bool(word & 0x02),
        bmi=bool(word & 0x04),
        weight_resolution_kg=weight[0] if weight else None,
        weight_resolution_lb=weight[1] if weight else None,
        height_resolution_m=height[0] if height else None,
        height_resolution_in=height[1] if height else None,
    )


def _token(step: float) -> str:
    return f"{step:g}".replace(".", "_")


def decode_weight_scale_feature(data: bytes) -> DecodedReading:
    """0x2A9E as flags: ``time_stamp_supported``, ``multiple_users_supported``, ``bmi_supported``,
    ``weight_resolution_0_005_kg`` and ``height_resolution_0_001_m`` style resolution names."""
    feature = parse_weight_scale_feature(data)
    flags = [
        name
        for name, on in (
            ("time_stamp_supported", feature.time_stamp),
            ("multiple_users_supported", feature.multiple_users),
            ("bmi_supported", feature.bmi),
        )
        if on
    ]
    if feature.weight_resolution_kg is not None:
        flags.append(f"weight_resolution_{_token(feature.weight_resolution_kg)}_kg")
    if feature.height_resolution_m is not None:
        flags.append(f"height_resolution_{_token(feature.height_resolution_m)}_m")
    if len(data) > 4:
        flags.append("trailing_bytes_ignored")
    return DecodedReading(WEIGHT_SCALE_FEATURE, (), flags=tuple(flags))


def build_weight_scale_feature(
    *,
    time_stamp: bool = False,
    multiple_users: bool = False,
    bmi: bool = False,
    weight_resolution_kg: float | None = None,
    height_resolution_m: float | None = None,
) -> bytes:
    word = int(time_stamp) | int(multiple_users) << 1 | int(bmi) << 2
    if weight_resolution_kg is not None:
        codes = [c for c, (kg, _) in _WEIGHT_RESOLUTION.items() if kg == weight_resolution_kg]
        if not codes:
            raise ValueError(f"no Weight Scale Feature code for {weight_resolution_kg} kg")
        word |= codes[0] << 3
    if height_resolution_m is not None:
        codes = [c for c, (m, _) in _HEIGHT_RESOLUTION.items() if m == height_resolution_m]
        if not codes:
            raise ValueError(f"no Weight Scale Feature code for {height_resolution_m} m")
        word |= codes[0] << 7
    return word.to_bytes(4, "little")
