"""The registry of characteristic decoders: one name per layout, dispatch by 16-bit characteristic id."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from device_profiles.battery import BATTERY_LEVEL, decode_battery_level
from device_profiles.blood_pressure import (
    BLOOD_PRESSURE_FEATURE,
    BLOOD_PRESSURE_MEASUREMENT,
    INTERMEDIATE_CUFF_PRESSURE,
    decode_blood_pressure_feature,
    decode_blood_pressure_measurement,
    decode_intermediate_cuff_pressure,
)
from device_profiles.date_time import CURRENT_TIME, DATE_TIME, decode_current_time, decode_date_time
from device_profiles.glucose import GLUCOSE_MEASUREMENT, decode_glucose_measurement
from device_profiles.glucose_context import GLUCOSE_MEASUREMENT_CONTEXT, decode_glucose_measurement_context
from device_profiles.pulse_oximeter import (
    PLX_CONTINUOUS,
    PLX_SPOT_CHECK,
    decode_plx_continuous,
    decode_plx_spot_check,
)
from device_profiles.reading import DecodedReading, DecodeError
from device_profiles.temperature import TEMPERATURE_MEASUREMENT, decode_temperature_measurement
from device_profiles.weight import (
    WEIGHT_MEASUREMENT,
    WEIGHT_SCALE_FEATURE,
    decode_weight_measurement,
    decode_weight_scale_feature,
)


@dataclass(frozen=True)
class Decoder:
    name: str  # what a profile's ``decoder = "..."`` refers to
    characteristic: str  # 16-bit id, 4 lower-case hex digits
    title: str
    decode: Callable[[bytes], DecodedReading]


_ALL = (
    Decoder(
        "blood_pressure_measurement",
        BLOOD_PRESSURE_MEASUREMENT,
        "Blood Pressure Measurement",
        decode_blood_pressure_measurement,
    ),
    Decoder(
        "intermediate_cuff_pressure",
        INTERMEDIATE_CUFF_PRESSURE,
        "Intermediate Cuff Pressure",
        decode_intermediate_cuff_pressure,
    ),
    Decoder(
        "blood_pressure_feature",
        BLOOD_PRESSURE_FEATURE,
        "Blood Pressure Feature",
        decode_blood_pressure_feature,
    ),
    Decoder("weight_measurement", WEIGHT_MEASUREMENT, "Weight Measurement", decode_weight_measurement),
    Decoder(
        "weight_scale_feature", WEIGHT_SCALE_FEATURE, "Weight Scale Feature", decode_weight_scale_feature
    ),
    Decoder("glucose_measurement", GLUCOSE_MEASUREMENT, "Glucose Measurement", decode_glucose_measurement),
    Decoder(
        "temperature_measurement",
        TEMPERATURE_MEASUREMENT,
        "Temperature Measurement",
        decode_temperature_measurement,
    ),
    Decoder(
        "glucose_measurement_context",
        GLUCOSE_MEASUREMENT_CONTEXT,
        "Glucose Measurement Context",
        decode_glucose_measurement_context,
    ),
    Decoder("plx_continuous", PLX_CONTINUOUS, "PLX Continuous Measurement", decode_plx_continuous),
    Decoder("plx_spot_check", PLX_SPOT_CHECK, "PLX Spot-Check Measurement", decode_plx_spot_check),
    Decoder("battery_level", BATTERY_LEVEL, "Battery Level", decode_battery_level),
    Decoder("current_time", CURRENT_TIME, "Current Time", decode_current_time),
    Decoder("date_time", DATE_TIME, "Date Time", decode_date_time),
)

DECODERS: dict[str, Decoder] = {d.name: d for d in _ALL}
BY_CHARACTERISTIC: dict[str, Decoder] = {d.characteristic: d for d in _ALL}

# The Bluetooth Base UUID: a 16-bit id xxxx stands for 0000xxxx-0000-1000-8000-00805f9b34fb.
_BASE_UUID = re.compile(r"^0000([0-9a-f]{4})-0000-1000-8000-00805f9b34fb$")
_SHORT = re.compile(r"^(?:0x)?([0-9a-f]{4})$")


def short_id(uuid: str) -> str | None:
    """Normalise a characteristic id: "2a35", "0x2A35" or the full Base-UUID form give "2a35"; anything
    else (a vendor 128-bit UUID) gives None."""
    text = uuid.strip().lower()
    match = _SHORT.match(text) or _BASE_UUID.match(text)
    return match.group(1) if match else None


def decode(characteristic: str, data: bytes) -> DecodedReading:
    """Decode one characteristic value by its id; an unknown id is a DecodeError like any malformed value."""
    key = short_id(characteristic)
    found = BY_CHARACTERISTIC.get(key) if key else None
    if found is None:
        raise DecodeError(
            f"no decoder for characteristic {characteristic!r}; known: {sorted(BY_CHARACTERISTIC)}"
        )
    return found.decode(data)
