"""Glucose Service: Glucose Measurement (0x2A18) — decoder and the matching builder for simulators."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Literal

from device_profiles.cursor import Cursor
from device_profiles.date_time import date_time_bytes, read_date_time
from device_profiles.reading import DecodedReading, Measurement
from device_profiles.sfloat import NoValue, encode_sfloat
from device_profiles.units import glucose_kg_per_l_to_mmol_per_l, glucose_mol_per_l_to_mmol_per_l, measurement

GLUCOSE_MEASUREMENT = "2a18"

ConcentrationUnit = Literal["kg/L", "mol/L"]

# [GLS 1.0, Glucose Measurement: Flags] bits 5-7 reserved.
_TIME_OFFSET = 0x01
_CONCENTRATION = 0x02
_MOL_PER_L = 0x04
_SENSOR_STATUS = 0x08
_CONTEXT_FOLLOWS = 0x10

# [GLS 1.0, Type-Sample Location] Type is the low nibble, Sample Location the high nibble.
SAMPLE_TYPES = {
    1: "capillary_whole_blood",
    2: "capillary_plasma",
    3: "venous_whole_blood",
    4: "venous_plasma",
    5: "arterial_whole_blood",
    6: "arterial_plasma",
    7: "undetermined_whole_blood",
    8: "undetermined_plasma",
    9: "interstitial_fluid",
    10: "control_solution",
}
SAMPLE_LOCATIONS = {
    1: "finger",
    2: "alternate_site_test",
    3: "earlobe",
    4: "control_solution",
    15: "not_available",
}
_CONTROL_TYPE, _CONTROL_LOCATION = 10, 4

# [GLS 1.0, Sensor Status Annunciation] bit -> quality flag. Bits 12-15 reserved.
_ANNUNCIATIONS = (
    (0, "device_battery_low"),
    (1, "sensor_malfunction"),
    (2, "sample_size_insufficient"),
    (3, "strip_insertion_error"),
    (4, "strip_type_incorrect"),
    (5, "result_above_device_range"),
    (6, "result_below_device_range"),
    (7, "sensor_temperature_too_high"),
    (8, "sensor_temperature_too_low"),
    (9, "sensor_read_interrupted"),
    (10, "general_device_fault"),
    (11, "time_fault"),
)
ANNUNCIATION_FLAGS = frozenset(name for _, name in _ANNUNCIATIONS)


def decode_glucose_measurement(data: bytes) -> DecodedReading:
    """0x2A18: sequence number, base time (+ offset) as device time, concentration always in mmol/L, sample
    type/location and sensor status as flags. A control-solution test carries the flag ``control_solution``:
    it measured the meter, not the patient."""
    cursor = Cursor(data, GLUCOSE_MEASUREMENT)
    flags_byte = cursor.uint8("flags")
    sequence = cursor.uint16("sequence number")
    device_time, time_flags = read_date_time(cursor, "base time")
    flags: list[str] = list(time_flags)
    if flags_byte & _TIME_OFFSET:
        offset = cursor.sint(2, "time offset")
        if device_time is not None:
            try:
                device_time += timedelta(minutes=offset)
            except OverflowError as exc:
                raise cursor.error(f"base time {device_time} + {offset} min is not a date") from exc
    measurements: list[Measurement] = []
    if flags_byte & _CONCENTRATION:
        convert = (
            glucose_mol_per_l_to_mmol_per_l if flags_byte & _MOL_PER_L else glucose_kg_per_l_to_mmol_per_l
        )
        measurements.append(measurement("glucose", cursor.sfloat("glucose concentration"), convert))
        type_location = cursor.uint8("type-sample location")
        sample_type, location = type_location & 0x0F, type_location >> 4
        if sample_type in SAMPLE_TYPES:
            flags.append(f"sample_type_{SAMPLE_TYPES[sample_type]}")
        if location in SAMPLE_LOCATIONS:
            flags.append(f"sample_location_{SAMPLE_LOCATIONS[location]}")
        if sample_type == _CONTROL_TYPE or location == _CONTROL_LOCATION:
            flags.append("control_solution")
    if flags_byte & _SENSOR_STATUS:
        word = cursor.uint16("sensor status annunciation")
        flags.extend(name for bit, name in _ANNUNCIATIONS if word & (1 << bit))
    if flags_byte & _CONTEXT_FOLLOWS:
        flags.append("context_follows")
    flags.extend(cursor.trailing_flags())
    return DecodedReading(
        GLUCOSE_MEASUREMENT,
        tuple(measurements),
        device_time=device_time,
        flags=tuple(flags),
        sequence=sequence,
    )


def build_glucose_measurement(
    sequence: int,
    base_time: datetime | None,
    concentration: float | NoValue | None = None,
    *,
    unit: ConcentrationUnit = "kg/L",
    time_offset_minutes: int | None = None,
    sample_type: str = "capillary_whole_blood",
    sample_location: str = "finger",
    annunciations: Iterable[str] | None = None,
    context_follows: bool = False,
) -> bytes:
    """Bytes of a 0x2A18 value; ``concentration`` in ``unit`` as the meter sends it (e.g. 0.00095 kg/L),
    None leaves the concentration/type/location fields out."""
    if not 0 <= sequence <= 0xFFFF:
        raise ValueError("sequence must be 0..65535")
    flags = 0
    body = sequence.to_bytes(2, "little") + date_time_bytes(base_time)
    if time_offset_minutes is not None:
        flags |= _TIME_OFFSET
        body += time_offset_minutes.to_bytes(2, "little", signed=True)
    if concentration is not None:
        types = {v: k for k, v in SAMPLE_TYPES.items()}
        locations = {v: k for k, v in SAMPLE_LOCATIONS.items()}
        if sample_type not in types or sample_location not in locations:
            raise ValueError(f"unknown sample type/location {sample_type!r}/{sample_location!r}")
        flags |= _CONCENTRATION | (_MOL_PER_L if unit == "mol/L" else 0)
        body += encode_sfloat(concentration) + bytes([types[sample_type] | locations[sample_location] << 4])
    if annunciations is not None:
        bits = {name: bit for bit, name in _ANNUNCIATIONS}
        unknown = [a for a in annunciations if a not in bits]
        if unknown:
            raise ValueError(f"unknown sensor status annunciation(s): {unknown}")
        flags |= _SENSOR_STATUS
        body += sum(1 << bits[a] for a in set(annunciations)).to_bytes(2, "little")
    if context_follows:
        flags |= _CONTEXT_FOLLOWS
    return bytes([flags]) + body
