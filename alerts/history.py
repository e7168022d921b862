"""A patient's recent readings per measurement, as the trend rules see them, and the context of one evaluation."""

from __future__ import annotations

import bisect
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from alerts.model import Reading

DEFAULT_TZ = ZoneInfo("Europe/Copenhagen")


@dataclass(frozen=True)
class History:
    """Readings per code, each list sorted by measured time."""

    by_code: Mapping[str, Sequence[Reading]] = field(default_factory=dict)

    @staticmethod
    def of(readings: Iterable[Reading]) -> History:
        grouped: dict[str, list[Reading]] = defaultdict(list)
        for r in readings:
            grouped[r.code].append(r)
        return History({k: sorted(v, key=lambda r: r.measured_at) for k, v in grouped.items()})

    def get(self, code: str) -> Sequence[Reading]:
        return self.by_code.get(code, ())

    def window(self, code: str, start: datetime, end: datetime) -> Sequence[Reading]:
        """Readings of one code with start < measured_at <= end."""
        rs = self.get(code)
        lo = bisect.bisect_right(rs, start, key=lambda r: r.measured_at)
        hi = bisect.bisect_right(rs, end, key=lambda r: r.measured_at)
        return rs[lo:hi]


@dataclass(frozen=True)
class Context:
    """One evaluation: the patient's programmes, the as-of time, and the history up to it."""

    conditions: tuple[str, ...]
    at: datetime
    history: History
    tz: ZoneInfo = DEFAULT_TZ
    patient_key: str = ""  # lets pure rules cache per-patient models; never part of a verdict

    def window(self, code: str, days: float, *, end_offset_days: float = 0.0) -> Sequence[Reading]:
        end = self.at - timedelta(days=end_offset_days)
        return self.history.window(code, end - timedelta(days=days), end)


@dataclass(frozen=True)
class DayValue:
    day: date
    value: float
    reading: Reading  # the reading that stands for the day (first, or the one nearest the median)


def daily(readings: Sequence[Reading], tz: ZoneInfo, how: str = "first") -> list[DayValue]:
    """One value per local calendar day: the first reading of the day, or the median of the day."""
    days: dict[date, list[Reading]] = defaultdict(list)
    for r in readings:
        days[r.measured_at.astimezone(tz).date()].append(r)
    out = []
    for d in sorted(days):
        rs = days[d]
        if how == "first":
            out.append(DayValue(d, rs[0].value, rs[0]))
        else:
            med = statistics.median(r.value for r in rs)
            out.append(DayValue(d, med, rs[-1]))
    return out


def values(readings: Sequence[Reading], tz: ZoneInfo, limit: int = 10) -> list[dict[str, object]]:
    """The values an explanation shows, newest last."""
    return [{"at": r.measured_at.isoformat(), "value": r.value} for r in readings[-limit:]]
