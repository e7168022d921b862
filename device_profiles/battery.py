"""Battery Service: Battery Level (0x2A19), for kit health rather than for the patient record."""

from __future__ import annotations

from device_profiles.cursor import Cursor
from device_profiles.reading import DecodedReading, Measurement

BATTERY_LEVEL = "2a19"


def decode_battery_level(data: bytes) -> DecodedReading:
    """0x2A19: one uint8, 0-100 % [BAS 1.0, Battery Level]; above 100 is malformed."""
    cursor = Cursor(data, BATTERY_LEVEL)
    level = cursor.uint8("battery level")
    if level > 100:
        raise cursor.error(f"battery level {level} % is above 100")
    return DecodedReading(
        BATTERY_LEVEL, (Measurement("battery_level", float(level), "%"),), flags=cursor.trailing_flags()
    )


def build_battery_level(level: int) -> bytes:
    if not 0 <= level <= 100:
        raise ValueError("battery level must be 0..100")
    return bytes([level])
