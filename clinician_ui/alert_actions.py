"""Acknowledging and resolving alerts: the change, its audit row and the notification, in one transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import psycopg

from alerts.lifecycle import Snooze, TransitionError, transition
from clinician_ui.accounts import User
from clinician_ui.errors import Conflict, NotFound
from clinician_ui.queries import alerts as q
from clinician_ui.queries import lifecycle as lq
from clinician_ui.queries import responsibility as rq
from clinician_ui.queries.audit import record

Outcome = Literal["contacted_patient", "home_visit", "gp_informed", "admitted", "false_alarm"]
OUTCOMES: tuple[str, ...] = ("contacted_patient", "home_visit", "gp_informed", "admitted", "false_alarm")
# The GP is who an alert goes up to; escalating is for the nursing side.
ESCALATING_ROLES = frozenset({"nurse", "acute_nurse", "admin"})


class NotAllowed(Exception):
    """The user's role may not do this (e.g. a GP escalating to the GP)."""


# How long a nurse can put an alert aside from the queue, and what she picks from.
SNOOZE_CHOICES: tuple[str, ...] = ("2h", "4h", "tomorrow", "3d")


def snooze_until(choice: str, now: datetime) -> datetime:
    """'tomorrow' is 08:00 Copenhagen time the next day, when the day team starts."""
    from clinician_ui.i18n import TZ

    if choice == "tomorrow":
        local = now.astimezone(TZ) + timedelta(days=1)
        return local.replace(hour=8, minute=0, second=0, microsecond=0)
    hours = {"2h": 2, "4h": 4, "3d": 72}.get(choice)
    if hours is None:
        raise ValueError(f"unknown snooze choice {choice!r}")
    return now + timedelta(hours=hours)


class BadColleague(ValueError):
    """The chosen colleague is not a clinician of the user's own organisation."""


def _clean(note: str | None) -> str | None:
    note = (note or "").strip()
    return note[:2000] or None


async def _not_changed(conn: psycopg.AsyncConnection, user: User, alert_id: int) -> Exception:
    return Conflict() if await q.get_alert(conn, user.organisation_id, alert_id) else NotFound()


async def acknowledge(conn: psycopg.AsyncConnection, user: User, alert_id: int,
                      note: str | None) -> dict[str, Any]:
    note = _clean(note)
    patient_id = await q.acknowledge(conn, user.organisation_id, alert_id, user.id, note)
    if patient_id is None:
        raise await _not_changed(conn, user, alert_id)
    await record(conn, user.id, "alert.acknowledge", patient_id, {"alert_id": alert_id, "note": note})
    await q.notify(conn, alert_id, patient_id, "acknowledged")
    row = await q.get_alert(conn, user.organisation_id, alert_id)
    assert row is not None
    return row


async def resolve(conn: psycopg.AsyncConnection, user: User, alert_id: int, outcome: str,
                  note: str | None) -> dict[str, Any]:
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    note = _clean(note)
    patient_id = await q.resolve(conn, user.organisation_id, alert_id, user.id, outcome, note)
    if patient_id is None:
        raise await _not_changed(conn, user, alert_id)
    await record(conn, user.id, "alert.resolve", patient_id,
                 {"alert_id": alert_id, "outcome": outcome, "note": note})
    await q.notify(conn, alert_id, patient_id, "resolved")
    row = await q.get_alert(conn, user.organisation_id, alert_id)
    assert row is not None
    return row


async def _acknowledge_if_open(conn: psycopg.AsyncConnection, user: User, alert_id: int, status: str,
                               note: str | None) -> None:
    """Handing an alert on means it has been seen: it leaves the 'new' list."""
    if status == "open":
        await q.acknowledge(conn, user.organisation_id, alert_id, user.id, note)


async def assign(conn: psycopg.AsyncConnection, user: User, alert_id: int, colleague_id: int,
                 note: str | None = None) -> dict[str, Any]:
    note = _clean(note)
    row = await rq.live_visible(conn, user.organisation_id, alert_id)
    if row is None:
        raise NotFound()
    if row["status"] == "resolved":
        raise Conflict()
    if user.organisation_id is None or not await rq.is_colleague(conn, user.organisation_id, colleague_id):
        raise BadColleague(f"user {colleague_id} is not a clinician of this organisation")
    await rq.set_responsible(conn, alert_id, kind="assigned", user_id=colleague_id,
                             organisation_id=user.organisation_id, set_by=user.id, note=note)
    await _acknowledge_if_open(conn, user, alert_id, row["status"], note)
    await record(conn, user.id, "alert.assign", row["patient_id"],
                 {"alert_id": alert_id, "to_user": colleague_id, "note": note})
    await q.notify(conn, alert_id, row["patient_id"], "assigned")
    alert = await q.get_alert(conn, user.organisation_id, alert_id)
    assert alert is not None
    return alert


async def escalate(conn: psycopg.AsyncConnection, user: User, alert_id: int,
                   note: str | None = None) -> dict[str, Any]:
    """The patient's GP practice is responsible from now on; the alert shows on both sides."""
    note = _clean(note)
    if user.role not in ESCALATING_ROLES:
        raise NotAllowed()
    row = await rq.live_visible(conn, user.organisation_id, alert_id)
    if row is None:
        raise NotFound()
    if row["status"] == "resolved":
        raise Conflict()
    await rq.set_responsible(conn, alert_id, kind="escalated", user_id=None,
                             organisation_id=int(row["gp_org_id"]), set_by=user.id, note=note)
    await lq.hand_to_gp(conn, alert_id, int(row["gp_org_id"]), datetime.now(UTC))
    await _acknowledge_if_open(conn, user, alert_id, row["status"], note)
    await record(conn, user.id, "alert.escalate", row["patient_id"],
                 {"alert_id": alert_id, "to_org": row["gp_org_id"], "note": note})
    await q.notify(conn, alert_id, row["patient_id"], "escalated")
    alert = await q.get_alert(conn, user.organisation_id, alert_id)
    assert alert is not None
    return alert


async def snooze(conn: psycopg.AsyncConnection, user: User, alert_id: int, choice: str,
                 reason: str) -> dict[str, Any]:
    """Out of the queue until a set time, with a reason; the alert core's sweep brings it back."""
    row = await rq.live_visible(conn, user.organisation_id, alert_id)
    if row is None:
        raise NotFound()
    state = await lq.load_state(conn, alert_id)
    assert state is not None
    now = datetime.now(UTC)
    try:
        new = transition(state, Snooze(by=user.id, reason=reason[:500], until=snooze_until(choice, now)), now)
    except TransitionError as exc:
        if state.status == "resolved":
            raise Conflict() from exc
        raise ValueError(str(exc)) from exc
    await lq.save_snooze(conn, alert_id, new)
    await record(conn, user.id, "alert.snooze", row["patient_id"],
                 {"alert_id": alert_id, "until": new.snoozed_until.isoformat() if new.snoozed_until else None,
                  "reason": new.snooze_reason})
    await q.notify(conn, alert_id, row["patient_id"], "snoozed")
    alert = await q.get_alert(conn, user.organisation_id, alert_id)
    assert alert is not None
    return alert
