"""Date Time 0x2A08, Current Time 0x2A2B and Battery Level 0x2A19."""

from __future__ import annotations

from datetime import datetime

import pytest

from device_profiles.battery import build_battery_level, decode_battery_level
from device_profiles.date_time import (
    build_current_time,
    build_date_time,
    decode_current_time,
    decode_date_time,
)
from device_profiles.reading import DecodedReading, DecodeError, Measurement


def h(text: str) -> bytes:
    return bytes.fromhex(text)


CURRENT_TIME = b"".join(
    [
        h("e807"),  # bytes 0-1 year 2024
        h("0501"),  # bytes 2-3 May 1
        h("081e00"),  # bytes 4-6 08:30:00
        h("03"),  # byte 7 day of week = 3 Wednesday
        h("80"),  # byte 8 fractions256 = 128 (half a second, not kept)
        h("01"),  # byte 9 adjust reason = bit 0 manual time update
    ]
)


def test_current_time() -> None:
    assert decode_current_time(CURRENT_TIME) == DecodedReading(
        "2a2b", (), device_time=datetime(2024, 5, 1, 8, 30), flags=("manual_time_update",)
    )
    assert (
        build_current_time(
            datetime(2024, 5, 1, 8, 30), fractions256=128, adjust_reasons=("manual_time_update",)
        )
        == CURRENT_TIME
    )


def test_current_time_bad_weekday() -> None:
    with pytest.raises(DecodeError, match="day of week 9"):
        decode_current_time(CURRENT_TIME[:7] + h("09") + CURRENT_TIME[8:])


def test_date_time() -> None:
    assert decode_date_time(h("e8070c1f173b3b")) == DecodedReading(
        "2a08", (), device_time=datetime(2024, 12, 31, 23, 59, 59)
    )
    assert build_date_time(datetime(2024, 12, 31, 23, 59, 59)) == h("e8070c1f173b3b")
    assert decode_date_time(bytes(7)).flags == ("device_time_unknown",)


def test_battery() -> None:
    assert decode_battery_level(h("55")) == DecodedReading("2a19", (Measurement("battery_level", 85.0, "%"),))
    assert build_battery_level(85) == h("55")
    with pytest.raises(DecodeError, match="101 % is above 100"):
        decode_battery_level(h("65"))
    with pytest.raises(DecodeError, match="battery level needs 1 byte"):
        decode_battery_level(b"")
