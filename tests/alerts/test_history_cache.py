"""A history grown reading by reading (late and out-of-order ones included) answers exactly as one built at once,
and its kept daily medians equal medians computed from the readings; the personal baseline's day vectors from
them equal those from readings."""

from __future__ import annotations

import statistics
import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from alerts import baseline
from alerts.history import DEFAULT_TZ, Context, GrowingHistory, History
from alerts.model import Reading
from alerts.rules import personal_baseline
from tests.alerts.build import AT
from tests.alerts.test_baseline import SICK, _days

CODES = ("body_weight", "pulse_rate", "spo2")
START = AT - timedelta(days=12)

# (code index, minutes after START, value): readings over 12 days, several a day, ties on time included
_readings = st.lists(st.tuples(st.integers(0, 2), st.integers(0, 12 * 24 * 60 // 37).map(lambda k: k * 37),
                               st.integers(60, 100).map(float)), max_size=80)
_cuts = st.tuples(st.integers(-60, 13 * 24 * 60), st.integers(0, 13 * 24 * 60))


def _build(rows: list[tuple[int, int, float]]) -> list[Reading]:
    return [Reading(uuid.UUID(int=k * 7919 + 1), CODES[c], v, "x", START + timedelta(minutes=m))
            for k, (c, m, v) in enumerate(rows)]


def _naive_medians(rs: list[Reading], code: str, start: datetime, end: datetime) -> list[tuple[object, float]]:
    days: dict[object, list[float]] = {}
    for r in sorted(rs, key=lambda r: (r.measured_at, r.id)):
        if r.code == code and start < r.measured_at <= end:
            days.setdefault(r.measured_at.astimezone(DEFAULT_TZ).date(), []).append(r.value)
    return [(d, statistics.median(vs)) for d, vs in sorted(days.items())]


@settings(max_examples=150, deadline=None)
@given(_readings, st.randoms(use_true_random=False), _cuts, _cuts)
def test_grown_in_any_order_equals_built_at_once(rows: list, rnd: object, cut1: tuple, cut2: tuple) -> None:
    rs = _build(rows)
    whole = History.of(rs)
    grown = GrowingHistory.of(rs[: len(rs) // 3])
    shuffled = list(rs)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    for k, r in enumerate(shuffled):
        grown.add([r, r] if k % 5 == 0 else [r])  # repeated ids count once
        if k % 7 == 0:  # indexes built midway must stay right as readings arrive
            grown.daily_medians("pulse_rate", START, START + timedelta(days=13), DEFAULT_TZ)
    assert len(grown) == len(rs)
    for cut in (cut1, cut2):
        start, end = START + timedelta(minutes=min(cut)), START + timedelta(minutes=max(cut))
        for code in CODES:
            assert list(grown.window(code, start, end)) == list(whole.window(code, start, end))
            expected = _naive_medians(rs, code, start, end)
            assert grown.daily_medians(code, start, end, DEFAULT_TZ) == expected
            assert whole.daily_medians(code, start, end, DEFAULT_TZ) == expected
            assert grown.days(code, start, end, DEFAULT_TZ) == [d for d, _ in expected]


@settings(max_examples=50, deadline=None)
@given(_readings, st.integers(0, 12 * 24 * 60))
def test_dropping_old_readings_keeps_the_rest_answering_alike(rows: list, keep_after: int) -> None:
    rs = _build(rows)
    grown = GrowingHistory.of(rs)
    grown.daily_medians("spo2", START, START + timedelta(days=13), DEFAULT_TZ)
    cut = START + timedelta(minutes=keep_after)
    grown.drop_through(cut)
    kept = [r for r in rs if r.measured_at > cut]
    assert len(grown) == len(kept)
    end = START + timedelta(days=13)
    for code in CODES:
        assert grown.daily_medians(code, cut, end, DEFAULT_TZ) == _naive_medians(kept, code, cut, end)
    grown.add(rs)  # the dropped ones may come back (a late batch reads the patient again)
    assert len(grown) == len(rs)


def test_day_vectors_from_medians_equal_those_from_readings() -> None:
    rs = _days(40, tail=[SICK, SICK])
    hist = History.of(rs)
    medians = {c: hist.daily_medians(c, AT - timedelta(days=95), AT, DEFAULT_TZ) for c in baseline.CODES}
    assert baseline.vectors_of({c: m for c, m in medians.items() if m}) == baseline.day_vectors(rs, DEFAULT_TZ)


def test_personal_baseline_is_the_same_on_a_grown_history() -> None:
    rs = _days(40, tail=[SICK, SICK])
    grown = GrowingHistory.of(rs[::2])
    grown.add(reversed(rs))
    at = max(r.measured_at for r in rs)
    found = personal_baseline.evaluate(Context(("copd",), at, grown))
    assert found and found == personal_baseline.evaluate(Context(("copd",), at, History.of(rs)))
    assert [f.explanation for f in found] == [f.explanation for f in
                                             personal_baseline.evaluate(Context(("copd",), at, History.of(rs)))]


def test_readings_at_the_same_instant_sort_by_id_on_every_path() -> None:
    at = datetime(2026, 3, 1, 8, tzinfo=UTC)
    a, b = (Reading(uuid.UUID(int=n), "pulse_rate", v, "/min", at) for n, v in ((2, 70.0), (1, 90.0)))
    assert [r.value for r in History.of([a, b]).get("pulse_rate")] == [90.0, 70.0]
    assert [r.value for r in GrowingHistory.of([a]).get("pulse_rate")] == [70.0]
    grown = GrowingHistory.of([a])
    grown.add([b])
    assert [r.value for r in grown.get("pulse_rate")] == [90.0, 70.0]
