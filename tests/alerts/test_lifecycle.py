"""The alert state machine: table of transitions and hypothesis properties over random event sequences."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.lifecycle import (
    Acknowledge,
    AlertState,
    Escalate,
    EscalationPolicy,
    Event,
    Normalise,
    Resolve,
    Snooze,
    TransitionError,
    Unsnooze,
    escalation_due,
    transition,
)

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
POLICY = EscalationPolicy((("acute_team", timedelta(minutes=30)), ("gp", timedelta(hours=2))))


def red() -> AlertState:
    return AlertState("open", "red", T0)


def test_acknowledge_then_resolve_records_who_and_how() -> None:
    s = transition(red(), Acknowledge(7, "called her"), T0 + timedelta(minutes=5))
    assert (s.status, s.acknowledged_by, s.ack_note) == ("acknowledged", 7, "called her")
    s = transition(s, Resolve(7, "home_visit"), T0 + timedelta(hours=1))
    assert (s.status, s.resolved_by, s.outcome) == ("resolved", 7, "home_visit")


@pytest.mark.parametrize(("state", "event", "reason"), [
    (AlertState("resolved", "red", T0), Acknowledge(1), "resolved"),
    (AlertState("acknowledged", "red", T0), Acknowledge(1), "already acknowledged"),
    (red(), Resolve(1, "normalised"), "unknown outcome"),
    (red(), Normalise(), "waits for a clinician"),
    (red(), Snooze(1, "  ", T0 + timedelta(hours=1)), "needs a reason"),
    (red(), Snooze(1, "on holiday", T0 - timedelta(hours=1)), "in the future"),
    (red(), Snooze(1, "on holiday", T0 + timedelta(days=30)), "within 14 days"),
    (AlertState("open", "yellow", T0), Escalate("gp"), "only unacknowledged red"),
    (AlertState("acknowledged", "red", T0), Escalate("gp"), "only unacknowledged red"),
])
def test_refused_transitions(state: AlertState, event: Event, reason: str) -> None:
    with pytest.raises(TransitionError, match=reason):
        transition(state, event, T0)


@pytest.mark.parametrize(("minutes", "level", "expected"), [
    (29, 0, None), (30, 0, "acute_team"), (60, 1, None), (200, 1, "gp"), (500, 2, None),
])
def test_escalation_timing(minutes: int, level: int, expected: str | None) -> None:
    state = red()
    for step in range(level):  # escalated at 30 min, then (if level 2) at 150 min
        state = transition(state, Escalate(POLICY.steps[step][0]), T0 + timedelta(minutes=30 + 120 * step))
    due = escalation_due(state, T0 + timedelta(minutes=minutes), POLICY)
    assert (due.to if due else None) == expected


def test_snoozed_or_acknowledged_reds_do_not_escalate() -> None:
    later = T0 + timedelta(hours=3)
    snoozed = transition(red(), Snooze(1, "admitted elsewhere", T0 + timedelta(hours=4)), T0)
    assert escalation_due(snoozed, later, POLICY) is None
    assert escalation_due(transition(red(), Acknowledge(1), T0), later, POLICY) is None
    assert escalation_due(transition(snoozed, Unsnooze(), later), later, POLICY) == Escalate("acute_team")


# ---- properties over random sequences of events --------------------------------------------------------------

events = st.one_of(
    st.builds(Acknowledge, st.integers(1, 5), st.none() | st.text(max_size=5)),
    st.builds(Resolve, st.integers(1, 5), st.sampled_from(["contacted_patient", "false_alarm", "admitted", "x"])),
    st.just(Normalise()),
    st.builds(Snooze, st.integers(1, 5), st.sampled_from(["", "away", "known"]),
              st.integers(-60, 30 * 24 * 60).map(lambda m: T0 + timedelta(days=1, minutes=m))),
    st.just(Unsnooze()),
    st.builds(Escalate, st.sampled_from(["acute_team", "gp"])),
)
states = st.builds(AlertState, st.just("open"), st.sampled_from(["red", "yellow", "review"]), st.just(T0))


def run(state: AlertState, seq: list[tuple[Event, int]]) -> list[AlertState]:
    trail = [state]
    now = T0
    for event, minutes in seq:
        now += timedelta(minutes=minutes)
        with contextlib.suppress(TransitionError):
            state = transition(state, event, now)
        trail.append(state)
    return trail


@settings(max_examples=300, deadline=None)
@given(states, st.lists(st.tuples(events, st.integers(0, 600)), max_size=12))
def test_nothing_leaves_resolved(state: AlertState, seq: list[tuple[Event, int]]) -> None:
    trail = run(state, seq)
    first = next((i for i, s in enumerate(trail) if s.status == "resolved"), None)
    if first is not None:
        assert all(s == trail[first] for s in trail[first:])


@settings(max_examples=300, deadline=None)
@given(states, st.lists(st.tuples(events, st.integers(0, 600)), max_size=12))
def test_invariants(state: AlertState, seq: list[tuple[Event, int]]) -> None:
    for s in run(state, seq):
        assert s.status in ("open", "acknowledged", "resolved")
        if s.status != "open" and s.status != "resolved":
            assert s.acknowledged_by is not None  # acknowledged always says by whom
        if s.status == "resolved":
            assert s.outcome is not None and s.resolved_at is not None and s.snoozed_until is None
            assert s.outcome != "normalised" or s.severity != "red"  # reds close only by a clinician
        if s.escalation_level:
            assert s.severity == "red" and s.responsible_role != "nurse"
        assert s.severity == state.severity  # the lifecycle never changes how bad it is


@settings(max_examples=200, deadline=None)
@given(states, st.lists(st.tuples(events, st.integers(0, 600)), max_size=12), st.integers(0, 10_000))
def test_escalation_due_is_always_allowed(state: AlertState, seq: list[tuple[Event, int]], later: int) -> None:
    final = run(state, seq)[-1]
    now = T0 + timedelta(days=40, minutes=later)
    due = escalation_due(final, now, POLICY)
    if due is not None:
        assert transition(final, due, now).escalation_level == final.escalation_level + 1
