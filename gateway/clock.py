"""Device clocks: measure a device's offset from the gateway clock and correct its time stamps.

Home devices keep naive local time and drift minutes a month; time stamps are corrected by the offset
measured when the gateway connects (Current Time 0x2A2B read, or written when the device allows it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


def offset(device_now: datetime, gateway_now_local: datetime) -> timedelta:
    """How far the device clock runs ahead of the gateway clock (negative when behind), in whole seconds.

    The device reports whole seconds, on average half a second behind the instant it was read; adding that
    back before rounding keeps a correct clock at offset 0 instead of a jitter of -1 s or 0 s between sessions.
    """
    raw = device_now.replace(tzinfo=None) - gateway_now_local.replace(tzinfo=None)
    return timedelta(seconds=round(raw.total_seconds() + 0.5))


def corrected(device_time: datetime, device_offset: timedelta, tz: ZoneInfo) -> datetime:
    """The device's naive local time stamp as an aware instant on the gateway's clock."""
    local = (device_time.replace(tzinfo=None) - device_offset).replace(tzinfo=tz)
    return local
