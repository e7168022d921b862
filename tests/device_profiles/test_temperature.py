"""Temperature Measurement 0x2A1C: FLOAT values, Celsius and Fahrenheit, time stamp and site."""

from __future__ import annotations

from datetime import datetime

import pytest

from device_profiles.reading import DecodedReading, DecodeError, Measurement
from device_profiles.temperature import build_temperature_measurement, decode_temperature_measurement


def h(text: str) -> bytes:
    return bytes.fromhex(text)


CELSIUS = b"".join(
    [
        h("06"),  # byte 0 flags = 0x06: Celsius, time stamp, temperature type
        h("6e0100ff"),  # bytes 1-4 FLOAT 0xFF00016E = 366 x 10^-1 = 36.6 Cel
        h("e8070501060f00"),  # bytes 5-11 time stamp = 2024-05-01 06:15:00
        h("03"),  # byte 12 type = 3 ear
    ]
)


def test_celsius_with_time_and_site() -> None:
    assert decode_temperature_measurement(CELSIUS) == DecodedReading(
        "2a1c",
        (Measurement("body_temp", 36.6, "Cel"),),
        device_time=datetime(2024, 5, 1, 6, 15),
        flags=("temperature_site_ear",),
    )


def test_fahrenheit_is_converted() -> None:
    # flags 0x01 Fahrenheit; FLOAT 0xFF0003D3 = 979 x 10^-1 = 97.9 F = 36.61 Cel
    assert decode_temperature_measurement(h("01d30300ff")).measurements == (
        Measurement("body_temp", 36.61, "Cel"),
    )


def test_nan_temperature() -> None:
    assert decode_temperature_measurement(h("00ffff7f00")).measurements == (
        Measurement("body_temp", None, "Cel", "not_a_number"),
    )


@pytest.mark.parametrize("length", range(len(CELSIUS)))
def test_every_truncation_is_a_decode_error(length: int) -> None:
    with pytest.raises(DecodeError, match="2a1c: "):
        decode_temperature_measurement(CELSIUS[:length])


def test_builder_reproduces_the_golden_payload() -> None:
    assert build_temperature_measurement(36.6, time_stamp=datetime(2024, 5, 1, 6, 15), site="ear") == CELSIUS
