"""Handing an alert over: assign it to a colleague or escalate it to the GP (forms and JSON)."""

from __future__ import annotations

import contextlib
from typing import Annotated, Any

from fastapi import APIRouter, Body, Form, HTTPException
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from clinician_ui import alert_actions
from clinician_ui.accounts import User
from clinician_ui.deps import CsrfSession, DbConn
from clinician_ui.errors import Conflict
from clinician_ui.queries import alerts as alert_q
from clinician_ui.redirects import redirect as _redirect
from clinician_ui.redirects import safe_next as _safe_next

router = APIRouter()


class AssignIn(BaseModel):
    user_id: int
    note: str | None = Field(default=None, max_length=2000)


class EscalateIn(BaseModel):
    note: str | None = Field(default=None, max_length=2000)


async def _assign(conn: DbConn, user: User, alert_id: int, colleague: int, note: str | None) -> dict[str, Any]:
    try:
        return await alert_actions.assign(conn, user, alert_id, colleague, note)
    except alert_actions.BadColleague as exc:
        raise HTTPException(status_code=422, detail="Choose a colleague from your own organisation") from exc


async def _escalate(conn: DbConn, user: User, alert_id: int, note: str | None) -> dict[str, Any]:
    try:
        return await alert_actions.escalate(conn, user, alert_id, note)
    except alert_actions.NotAllowed as exc:
        raise HTTPException(status_code=403, detail="Only the nursing side escalates to the GP") from exc


@router.post("/api/alerts/{alert_id}/assign", tags=["api"])
async def assign_api(alert_id: int, body: AssignIn, session: CsrfSession, conn: DbConn) -> dict[str, Any]:
    return alert_q.to_json(await _assign(conn, session.user, alert_id, body.user_id, body.note))


@router.post("/api/alerts/{alert_id}/escalate", tags=["api"])
async def escalate_api(alert_id: int, session: CsrfSession, conn: DbConn,
                       body: Annotated[EscalateIn | None, Body()] = None) -> dict[str, Any]:
    return alert_q.to_json(await _escalate(conn, session.user, alert_id, body.note if body else None))


@router.post("/alerts/{alert_id}/assign", include_in_schema=False)
async def assign_form(alert_id: int, session: CsrfSession, conn: DbConn, colleague: Annotated[int, Form()],
                      note: Annotated[str, Form(max_length=2000)] = "",
                      next: Annotated[str, Form()] = "/") -> RedirectResponse:
    with contextlib.suppress(Conflict):  # closed meanwhile: the page they come back to shows it
        await _assign(conn, session.user, alert_id, colleague, note)
    return _redirect(_safe_next(next))


@router.post("/alerts/{alert_id}/escalate", include_in_schema=False)
async def escalate_form(alert_id: int, session: CsrfSession, conn: DbConn,
                        note: Annotated[str, Form(max_length=2000)] = "",
                        next: Annotated[str, Form()] = "/") -> RedirectResponse:
    with contextlib.suppress(Conflict):
        await _escalate(conn, session.user, alert_id, note)
    return _redirect(_safe_next(next))


class SnoozeIn(BaseModel):
    choice: str = Field(description="one of 2h, 4h, tomorrow, 3d")
    reason: str = Field(min_length=1, max_length=500)


async def _snooze(conn: DbConn, user: User, alert_id: int, choice: str, reason: str) -> dict[str, Any]:
    if choice not in alert_actions.SNOOZE_CHOICES:
        raise HTTPException(status_code=422, detail=f"choice must be one of {', '.join(alert_actions.SNOOZE_CHOICES)}")
    try:
        return await alert_actions.snooze(conn, user, alert_id, choice, reason)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from exc


@router.post("/api/alerts/{alert_id}/snooze", tags=["api"])
async def snooze_api(alert_id: int, body: SnoozeIn, session: CsrfSession, conn: DbConn) -> dict[str, Any]:
    return alert_q.to_json(await _snooze(conn, session.user, alert_id, body.choice, body.reason))


@router.post("/alerts/{alert_id}/snooze", include_in_schema=False)
async def snooze_form(alert_id: int, session: CsrfSession, conn: DbConn,
                      choice: Annotated[str, Form(max_length=20)] = "2h",
                      reason: Annotated[str, Form(max_length=500)] = "",
                      next: Annotated[str, Form()] = "/") -> RedirectResponse:
    with contextlib.suppress(Conflict):
        await _snooze(conn, session.user, alert_id, choice, reason)
    return _redirect(_safe_next(next))
