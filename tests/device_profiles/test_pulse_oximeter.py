"""PLX Spot-Check Measurement 0x2A5E: SpO2 and pulse rate, status words as flags, unset device clock."""

from __future__ import annotations

from datetime import datetime

import pytest

from device_profiles.pulse_oximeter import build_plx_spot_check, decode_plx_spot_check
from device_profiles.reading import DecodedReading, DecodeError, Measurement


def h(text: str) -> bytes:
    return bytes.fromhex(text)


MINIMAL = b"".join(
    [
        h("00"),  # byte 0 flags = 0x00
        h("6100"),  # bytes 1-2 SpO2 = SFLOAT 0x0061 = 97 %
        h("4800"),  # bytes 3-4 pulse rate = SFLOAT 0x0048 = 72 /min
    ]
)

FULL = b"".join(
    [
        h(
            "0f"
        ),  # byte 0 flags = 0x0F: time stamp, measurement status, device+sensor status, pulse amplitude index
        h("5e00"),  # bytes 1-2 SpO2 = 94 %
        h("5800"),  # bytes 3-4 pulse rate = 88 /min
        h("e8070501090000"),  # bytes 5-11 time stamp = 2024-05-01 09:00:00
        h("8000"),  # bytes 12-13 measurement status = 0x0080: bit 7 validated data
        h("200000"),  # bytes 14-16 device and sensor status = 0x000020: bit 5 low perfusion
        h("32f0"),  # bytes 17-18 pulse amplitude index = SFLOAT 5.0 % (read, not reported)
    ]
)


def test_minimal() -> None:
    assert decode_plx_spot_check(MINIMAL) == DecodedReading(
        "2a5e", (Measurement("spo2", 97.0, "%"), Measurement("pulse_rate", 72.0, "/min"))
    )


def test_full() -> None:
    assert decode_plx_spot_check(FULL) == DecodedReading(
        "2a5e",
        (Measurement("spo2", 94.0, "%"), Measurement("pulse_rate", 88.0, "/min")),
        device_time=datetime(2024, 5, 1, 9),
        flags=("validated_data", "low_perfusion"),
    )


def test_unset_clock_drops_the_time_stamp() -> None:
    # flags 0x11: time stamp present but device clock is not set (bit 4)
    reading = decode_plx_spot_check(h("1161004800d0070101000500"))
    assert reading.device_time is None
    assert reading.flags == ("device_clock_not_set",)


@pytest.mark.parametrize("length", range(len(FULL)))
def test_every_truncation_is_a_decode_error(length: int) -> None:
    with pytest.raises(DecodeError, match="2a5e: "):
        decode_plx_spot_check(FULL[:length])


def test_builder() -> None:
    assert build_plx_spot_check(97, 72) == MINIMAL
    data = build_plx_spot_check(
        94, 88, time_stamp=datetime(2024, 5, 1, 9), status=["validated_data", "low_perfusion"]
    )
    assert data == FULL[:17].replace(b"\x0f", b"\x07", 1)
