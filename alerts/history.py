"""A patient's recent readings per measurement, as the trend rules see them, and the context of one evaluation.

``History`` is what rules read; ``GrowingHistory`` is the same view kept by a worker between batches
(alerts.cache) and extended in place with new readings. Both index each measurement once (times for bisect,
local days and the median of each whole day), so a rule that reads 95 days does not redo 95 days of work on
every evaluation.
"""

from __future__ import annotations

import bisect
import statistics
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from alerts.model import Reading

DEFAULT_TZ = ZoneInfo("Europe/Copenhagen")


def _order(r: Reading) -> tuple[datetime, uuid.UUID]:
    """Time order; readings taken at the same instant in id order, so every path sorts ties alike."""
    return r.measured_at, r.id


class _Days:
    """The local calendar days of one measurement's readings: each day, the index of its first reading, and the
    median of each whole day once asked for (dropped when a reading joins that day)."""

    __slots__ = ("days", "medians", "starts")

    def __init__(self, readings: Sequence[Reading], tz: ZoneInfo) -> None:
        self.days: list[date] = []
        self.starts: list[int] = []
        self.medians: dict[date, float] = {}
        for i, r in enumerate(readings):
            d = r.measured_at.astimezone(tz).date()
            if not self.days or self.days[-1] != d:  # local days never go backwards in time order
                self.days.append(d)
                self.starts.append(i)

    def inserted(self, i: int, day: date) -> None:
        """A reading of ``day`` was inserted at index ``i``."""
        k = bisect.bisect_left(self.days, day)
        if k < len(self.days) and self.days[k] == day:
            self.medians.pop(day, None)
        else:
            self.days.insert(k, day)
            self.starts.insert(k, i)
        for j in range(k + 1, len(self.starts)):
            self.starts[j] += 1


class _Series:
    """One measurement's readings in time order with their times, for bisect without a key function."""

    __slots__ = ("_days", "readings", "times")

    def __init__(self, readings: list[Reading]) -> None:
        self.readings = readings  # shared with History.by_code: inserting here is seen there
        self.times = [r.measured_at for r in readings]
        self._days: dict[ZoneInfo, _Days] = {}

    def days(self, tz: ZoneInfo) -> _Days:
        got = self._days.get(tz)
        if got is None:
            got = self._days[tz] = _Days(self.readings, tz)
        return got

    def insert(self, r: Reading) -> None:
        i = bisect.bisect_right(self.times, r.measured_at)
        while i > 0 and self.times[i - 1] == r.measured_at and self.readings[i - 1].id > r.id:
            i -= 1
        self.readings.insert(i, r)
        self.times.insert(i, r.measured_at)
        for tz, days in self._days.items():
            days.inserted(i, r.measured_at.astimezone(tz).date())

    def drop_through(self, t: datetime) -> list[Reading]:
        """Remove the readings measured at or before ``t``; returns them."""
        k = bisect.bisect_right(self.times, t)
        gone = self.readings[:k]
        if k:
            del self.readings[:k]
            del self.times[:k]
            self._days.clear()  # rebuilt on next use; trimming happens about once a day
        return gone


@dataclass(frozen=True)
class History:
    """Readings per code, each list sorted by measured time."""

    by_code: Mapping[str, Sequence[Reading]] = field(default_factory=dict)
    # Per-code indexes, built on first use; by_code must not change afterwards (GrowingHistory keeps them).
    _index: dict[str, _Series] = field(default_factory=dict, init=False, repr=False, compare=False)

    @staticmethod
    def of(readings: Iterable[Reading]) -> History:
        grouped: dict[str, list[Reading]] = defaultdict(list)
        for r in readings:
            grouped[r.code].append(r)
        return History({k: sorted(v, key=_order) for k, v in grouped.items()})

    def get(self, code: str) -> Sequence[Reading]:
        return self.by_code.get(code, ())

    def _series(self, code: str) -> _Series:
        got = self._index.get(code)
        if got is None:
            rs = self.get(code)
            if not rs:
                return _Series([])  # not kept: a GrowingHistory links each kept series to by_code
            got = self._index[code] = _Series(list(rs))
        return got

    def _span(self, code: str, start: datetime, end: datetime) -> tuple[_Series, int, int]:
        s = self._series(code)
        return s, bisect.bisect_right(s.times, start), bisect.bisect_right(s.times, end)

    def window(self, code: str, start: datetime, end: datetime) -> Sequence[Reading]:
        """Readings of one code with start < measured_at <= end."""
        s, lo, hi = self._span(code, start, end)
        return s.readings[lo:hi]

    def days(self, code: str, start: datetime, end: datetime, tz: ZoneInfo) -> list[date]:
        """The local days on which one code was measured, start < measured_at <= end, oldest first."""
        s, lo, hi = self._span(code, start, end)
        if lo >= hi:
            return []
        days = s.days(tz)
        return days.days[bisect.bisect_right(days.starts, lo) - 1:bisect.bisect_right(days.starts, hi - 1)]

    def daily_medians(self, code: str, start: datetime, end: datetime, tz: ZoneInfo) -> list[tuple[date, float]]:
        """The median per local day of one code's readings with start < measured_at <= end, oldest first.

        Equal to grouping ``window(code, start, end)`` by day; a day wholly inside the window is taken from the
        medians kept per day, so only the days cut by the window's ends are computed again."""
        s, lo, hi = self._span(code, start, end)
        if lo >= hi:
            return []
        days = s.days(tz)
        out = []
        for k in range(bisect.bisect_right(days.starts, lo) - 1, bisect.bisect_right(days.starts, hi - 1)):
            first = days.starts[k]
            last = days.starts[k + 1] if k + 1 < len(days.starts) else len(s.readings)
            i, j = max(first, lo), min(last, hi)
            day = days.days[k]
            if i == first and j == last:
                med = days.medians.get(day)
                if med is None:
                    med = days.medians[day] = statistics.median(r.value for r in s.readings[i:j])
            else:
                med = statistics.median(r.value for r in s.readings[i:j])
            out.append((day, med))
        return out


@dataclass(frozen=True)
class GrowingHistory(History):
    """A History that takes new readings in place (in time order, late ones included, each id once) and drops
    old ones, keeping its indexes current; alerts.cache keeps one per patient between batches."""

    _ids: set[uuid.UUID] = field(default_factory=set, init=False, repr=False, compare=False)

    @staticmethod
    def of(readings: Iterable[Reading]) -> GrowingHistory:
        grown = GrowingHistory({})
        grouped: dict[str, dict[uuid.UUID, Reading]] = defaultdict(dict)
        for r in readings:
            grouped[r.code].setdefault(r.id, r)
        by_code: dict[str, Sequence[Reading]] = grown.by_code  # type: ignore[assignment]
        for code, rs in grouped.items():
            s = grown._index[code] = _Series(sorted(rs.values(), key=_order))
            by_code[code] = s.readings
            grown._ids.update(rs)
        return grown

    def add(self, readings: Iterable[Reading]) -> int:
        """Insert the readings not already held; returns how many were new."""
        added = 0
        by_code: dict[str, Sequence[Reading]] = self.by_code  # type: ignore[assignment]
        for r in readings:
            if r.id in self._ids:
                continue
            self._ids.add(r.id)
            s = self._index.get(r.code)
            if s is None:
                s = self._index[r.code] = _Series([])
                by_code[r.code] = s.readings
            s.insert(r)
            added += 1
        return added

    def drop_through(self, t: datetime) -> None:
        """Forget readings measured at or before ``t``."""
        for s in self._index.values():
            for r in s.drop_through(t):
                self._ids.discard(r.id)

    def __len__(self) -> int:
        return len(self._ids)


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

    def days(self, code: str, days: float, *, end_offset_days: float = 0.0) -> list[date]:
        """``History.days`` over the same span as ``window``."""
        end = self.at - timedelta(days=end_offset_days)
        return self.history.days(code, end - timedelta(days=days), end, self.tz)

    def daily_medians(self, code: str, days: float, *, end_offset_days: float = 0.0) -> list[tuple[date, float]]:
        """``History.daily_medians`` over the same span as ``window``."""
        end = self.at - timedelta(days=end_offset_days)
        return self.history.daily_medians(code, end - timedelta(days=days), end, self.tz)


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
