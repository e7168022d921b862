"""The alert state machine, pure: open → acknowledged → resolved, snooze, and escalation of unanswered reds.

Time comes in as an argument (``now``); the store passes its injectable clock. Nothing leaves 'resolved'.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from alerts.model import Severity

Status = Literal["open", "acknowledged", "resolved"]
Role = Literal["nurse", "acute_team", "gp"]
Outcome = Literal["normalised", "contacted_patient", "home_visit", "gp_informed", "admitted", "false_alarm"]
CLINICIAN_OUTCOMES: tuple[str, ...] = ("contacted_patient", "home_visit", "gp_informed", "admitted", "false_alarm")
MAX_SNOOZE = timedelta(days=14)


class TransitionError(ValueError):
    """The event is not allowed in the alert's current state; the message says why."""


@dataclass(frozen=True)
class AlertState:
    status: Status
    severity: Severity
    opened_at: datetime
    acknowledged_by: int | None = None
    acknowledged_at: datetime | None = None
    ack_note: str | None = None
    resolved_by: int | None = None
    resolved_at: datetime | None = None
    outcome: str | None = None
    snoozed_until: datetime | None = None
    snooze_reason: str | None = None
    snoozed_by: int | None = None
    escalated_at: datetime | None = None
    escalation_level: int = 0
    responsible_role: Role = "nurse"

    def snoozed(self, now: datetime) -> bool:
        return self.snoozed_until is not None and self.snoozed_until > now


@dataclass(frozen=True)
class Acknowledge:
    by: int
    note: str | None = None


@dataclass(frozen=True)
class Resolve:
    by: int
    outcome: str
    note: str | None = None


@dataclass(frozen=True)
class Normalise:
    """The values are back in range: the rule closes its own yellow or review alert."""


@dataclass(frozen=True)
class Snooze:
    by: int
    reason: str
    until: datetime


@dataclass(frozen=True)
class Unsnooze:
    """The snooze expired (or worse news arrived)."""


@dataclass(frozen=True)
class Escalate:
    to: Role


Event = Acknowledge | Resolve | Normalise | Snooze | Unsnooze | Escalate
EVENT_NAMES: dict[type, str] = {Acknowledge: "acknowledged", Resolve: "resolved", Normalise: "resolved",
                                Snooze: "snoozed", Unsnooze: "unsnoozed", Escalate: "escalated"}


@dataclass(frozen=True)
class EscalationPolicy:
    """Who takes over a red alert nobody acknowledged, and after how long (each step counted from the last)."""

    steps: tuple[tuple[Role, timedelta], ...] = (("acute_team", timedelta(minutes=30)),)


def transition(state: AlertState, event: Event, now: datetime) -> AlertState:
    """The state after the event, or TransitionError."""
    if state.status == "resolved":
        raise TransitionError("the alert is resolved")
    replace = dataclasses.replace
    if isinstance(event, Acknowledge):
        if state.status != "open":
            raise TransitionError("the alert is already acknowledged")
        return replace(state, status="acknowledged", acknowledged_by=event.by, acknowledged_at=now,
                       ack_note=event.note)
    if isinstance(event, Resolve):
        if event.outcome not in CLINICIAN_OUTCOMES:
            raise TransitionError(f"unknown outcome {event.outcome!r}")
        return replace(state, status="resolved", resolved_by=event.by, resolved_at=now, outcome=event.outcome,
                       snoozed_until=None)
    if isinstance(event, Normalise):
        if state.severity == "red":
            raise TransitionError("a red alert waits for a clinician")
        return replace(state, status="resolved", resolved_at=now, outcome="normalised", snoozed_until=None)
    if isinstance(event, Snooze):
        if not event.reason.strip():
            raise TransitionError("a snooze needs a reason")
        if not now < event.until <= now + MAX_SNOOZE:
            raise TransitionError("a snooze ends in the future and within 14 days")
        return replace(state, snoozed_until=event.until, snooze_reason=event.reason.strip(), snoozed_by=event.by)
    if isinstance(event, Unsnooze):
        return replace(state, snoozed_until=None)
    assert isinstance(event, Escalate)
    if state.status != "open" or state.severity != "red":
        raise TransitionError("only unacknowledged red alerts escalate")
    if state.snoozed(now):
        raise TransitionError("a snoozed alert does not escalate")
    return replace(state, escalated_at=now, escalation_level=state.escalation_level + 1,
                   responsible_role=event.to)


def escalation_due(state: AlertState, now: datetime, policy: EscalationPolicy) -> Escalate | None:
    """The next escalation if this alert has waited too long, else None."""
    if state.status != "open" or state.severity != "red" or state.snoozed(now):
        return None
    if state.escalation_level >= len(policy.steps):
        return None
    role, after = policy.steps[state.escalation_level]
    since = state.escalated_at or state.opened_at
    return Escalate(role) if now - since >= after else None


def snooze_expired(state: AlertState, now: datetime) -> bool:
    return state.status != "resolved" and state.snoozed_until is not None and state.snoozed_until <= now
