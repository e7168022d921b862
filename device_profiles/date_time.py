"""The 7-byte GATT Date Time structure used in every time stamp, plus the Date Time (0x2A08) and Current Time
(0x2A2B) characteristics."""

from __future__ import annotations

from datetime import datetime

from device_profiles.cursor import Cursor
from device_profiles.reading import DecodedReading

DATE_TIME = "2a08"
CURRENT_TIME = "2a2b"
DATE_TIME_UNKNOWN = "device_time_unknown"

# [GATT Specification Supplement, Current Time: Adjust Reason] bit -> flag
_ADJUST_REASONS = (
    (0, "manual_time_update"),
    (1, "external_reference_time_update"),
    (2, "change_of_time_zone"),
    (3, "change_of_dst"),
)


def read_date_time(cursor: Cursor, field: str = "time stamp") -> tuple[datetime | None, tuple[str, ...]]:
    """Read Year (uint16), Month, Day, Hours, Minutes, Seconds (uint8 each) into a naive device-local
    datetime.

    [GATT Specification Supplement, Date Time] year 0, month 0 or day 0 mean "not known": the reading
    keeps its values, gets no device time and the flag ``device_time_unknown``. Any other out-of-range
    part is malformed.
    """
    year = cursor.uint16(f"{field} year")
    month = cursor.uint8(f"{field} month")
    day = cursor.uint8(f"{field} day")
    hours = cursor.uint8(f"{field} hours")
    minutes = cursor.uint8(f"{field} minutes")
    seconds = cursor.uint8(f"{field} seconds")
    if year == 0 or month == 0 or day == 0:
        return None, (DATE_TIME_UNKNOWN,)
    if not 1582 <= year <= 9999:
        raise cursor.error(f"{field} year {year} outside 1582..9999")
    if hours > 23 or minutes > 59 or seconds > 59:
        raise cursor.error(f"{field} time {hours:02d}:{minutes:02d}:{seconds:02d} is not a time of day")
    try:
        return datetime(year, month, day, hours, minutes, seconds), ()
    except ValueError as exc:
        raise cursor.error(f"{field} {year:04d}-{month:02d}-{day:02d} is not a date ({exc})") from exc


def date_time_bytes(value: datetime | None) -> bytes:
    """The 7-byte structure; ``None`` encodes "not known" (all zero)."""
    if value is None:
        return bytes(7)
    return value.year.to_bytes(2, "little") + bytes(
        [value.month, value.day, value.hour, value.minute, value.second]
    )


def decode_date_time(data: bytes) -> DecodedReading:
    """Date Time 0x2A08: the device clock, no measurements."""
    cursor = Cursor(data, DATE_TIME)
    device_time, flags = read_date_time(cursor, "date time")
    return DecodedReading(DATE_TIME, (), device_time=device_time, flags=flags + cursor.trailing_flags())


def build_date_time(value: datetime | None) -> bytes:
    return date_time_bytes(value)


def decode_current_time(data: bytes) -> DecodedReading:
    """Current Time 0x2A2B: Exact Time 256 (Date Time, Day of Week, Fractions256) and Adjust Reason.

    Day of week and fractions are read for length but not kept: the weekday follows from the date and the
    platform works in whole seconds.
    """
    cursor = Cursor(data, CURRENT_TIME)
    device_time, flags = read_date_time(cursor, "current time")
    day_of_week = cursor.uint8("day of week")
    if day_of_week > 7:
        raise cursor.error(f"day of week {day_of_week} outside 0..7")
    cursor.uint8("fractions256")
    reason = cursor.uint8("adjust reason")
    reasons = tuple(name for bit, name in _ADJUST_REASONS if reason & (1 << bit))
    return DecodedReading(
        CURRENT_TIME, (), device_time=device_time, flags=flags + reasons + cursor.trailing_flags()
    )


def build_current_time(
    value: datetime | None, *, fractions256: int = 0, adjust_reasons: tuple[str, ...] = ()
) -> bytes:
    """What a gateway writes to (or a simulated device notifies from) Current Time 0x2A2B."""
    known = {name: bit for bit, name in _ADJUST_REASONS}
    unknown = [r for r in adjust_reasons if r not in known]
    if unknown:
        raise ValueError(f"unknown adjust reason(s): {unknown}")
    if not 0 <= fractions256 <= 255:
        raise ValueError("fractions256 must be 0..255")
    day_of_week = 0 if value is None else value.isoweekday()  # 1 = Monday .. 7 = Sunday, 0 = not known
    reason = sum(1 << known[r] for r in adjust_reasons)
    return date_time_bytes(value) + bytes([day_of_week, fractions256, reason])
