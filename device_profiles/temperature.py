"""Health Thermometer Service: Temperature Measurement (0x2A1C) — decoder and the matching builder."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from device_profiles.cursor import Cursor
from device_profiles.date_time import date_time_bytes, read_date_time
from device_profiles.reading import DecodedReading
from device_profiles.sfloat import NoValue, encode_float
from device_profiles.units import fahrenheit_to_celsius, measurement

TEMPERATURE_MEASUREMENT = "2a1c"

TemperatureUnit = Literal["Cel", "[degF]"]

# [HTS 1.0, Temperature Measurement: Flags] bits 3-7 reserved.
_FAHRENHEIT = 0x01
_TIME_STAMP = 0x02
_TYPE = 0x04

# [HTS 1.0, Temperature Type] where on the body the reading was taken.
TEMPERATURE_SITES = {
    1: "armpit",
    2: "body_general",
    3: "ear",
    4: "finger",
    5: "gastro_intestinal_tract",
    6: "mouth",
    7: "rectum",
    8: "toe",
    9: "tympanum",
}


def decode_temperature_measurement(data: bytes) -> DecodedReading:
    """0x2A1C: body temperature (FLOAT, always returned in Cel), optional time stamp and site flag."""
    cursor = Cursor(data, TEMPERATURE_MEASUREMENT)
    flags_byte = cursor.uint8("flags")
    convert = fahrenheit_to_celsius if flags_byte & _FAHRENHEIT else None
    temperature = measurement("body_temp", cursor.float32("temperature"), convert)
    flags: list[str] = []
    device_time: datetime | None = None
    if flags_byte & _TIME_STAMP:
        device_time, time_flags = read_date_time(cursor)
        flags.extend(time_flags)
    if flags_byte & _TYPE:
        site = cursor.uint8("temperature type")
        flags.append(f"temperature_site_{TEMPERATURE_SITES.get(site, 'reserved')}")
    flags.extend(cursor.trailing_flags())
    return DecodedReading(
        TEMPERATURE_MEASUREMENT, (temperature,), device_time=device_time, flags=tuple(flags)
    )


def build_temperature_measurement(
    temperature: float | NoValue,
    *,
    unit: TemperatureUnit = "Cel",
    time_stamp: datetime | None = None,
    site: str | None = None,
) -> bytes:
    """Bytes of a 0x2A1C value, ``temperature`` in ``unit`` as the thermometer sends it."""
    flags = _FAHRENHEIT if unit == "[degF]" else 0
    body = encode_float(temperature)
    if time_stamp is not None:
        flags |= _TIME_STAMP
        body += date_time_bytes(time_stamp)
    if site is not None:
        sites = {name: code for code, name in TEMPERATURE_SITES.items()}
        if site not in sites:
            raise ValueError(f"unknown temperature site {site!r}")
        flags |= _TYPE
        body += bytes([sites[site]])
    return bytes([flags]) + body
