"""Building plain histories for rule tests: readings on given days before an as-of time."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from alerts.history import Context, History
from alerts.model import Reading
from device_profiles.codes import CODES

AT = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)  # 10:00 in Copenhagen


def reading(code: str, value: float, at: datetime, received_at: datetime | None = None) -> Reading:
    return Reading(uuid.uuid4(), code, value, CODES[code].unit, at, received_at)


def daily_series(code: str, vals: list[float], *, end: datetime = AT, hour_offset: float = 0) -> list[Reading]:
    """One reading a day, the last one at ``end`` (minus ``hour_offset`` hours)."""
    n = len(vals)
    return [reading(code, v, end - timedelta(days=n - 1 - i, hours=hour_offset)) for i, v in enumerate(vals)]


def ctx(*series: list[Reading], conditions: tuple[str, ...] = ("heart_failure",), at: datetime = AT) -> Context:
    return Context(conditions, at, History.of([r for s in series for r in s]))
