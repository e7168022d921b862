"""The JSON API: session, alerts, patients and observations."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from clinician_ui import alert_actions
from clinician_ui.deps import CsrfSession, CurrentSession, CurrentUser, DbConn
from clinician_ui.errors import NotFound
from clinician_ui.queries import alerts as alert_q
from clinician_ui.queries import patients as patient_q
from clinician_ui.queries.audit import record, record_many
from clinician_ui.signin import Throttled, clear_session_cookie, set_session_cookie, sign_in, sign_out

router = APIRouter(prefix="/api", tags=["api"])

AlertStatus = Literal["open", "acknowledged", "resolved"]


class LoginIn(BaseModel):
    username: str = Field(max_length=200)
    password: str = Field(max_length=1000)


class AcknowledgeIn(BaseModel):
    note: str | None = Field(default=None, max_length=2000)


class ResolveIn(BaseModel):
    outcome: alert_actions.Outcome
    note: str | None = Field(default=None, max_length=2000)


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/session")
async def create_session(body: LoginIn, request: Request, conn: DbConn) -> JSONResponse:
    try:
        signed = await sign_in(conn, request.app.state.limiter, body.username, body.password,
                               _client_ip(request), idle=request.app.state.idle_timeout)
    except Throttled as exc:
        return JSONResponse({"detail": f"Too many failed attempts; try again in {exc.minutes} min"},
                            status_code=429, headers={"Retry-After": str(int(exc.retry_after_s) + 1)})
    if signed is None:
        return JSONResponse({"detail": "Wrong username or password"}, status_code=401)
    response = JSONResponse({"user": signed.user.public(), "csrf_token": signed.csrf_token})
    set_session_cookie(response, signed.token, request.app.state.secure_cookies)
    return response


@router.delete("/session")
async def delete_session(session: CurrentSession, request: Request, conn: DbConn) -> JSONResponse:
    await sign_out(conn, session.user.id, session.token_hash)
    request.app.state.hub.close_session(session.token_hash)
    response = JSONResponse({"detail": "Signed out"})
    clear_session_cookie(response, request.app.state.secure_cookies)
    return response


@router.get("/alerts")
async def list_alerts(user: CurrentUser, conn: DbConn,
                      status: Annotated[AlertStatus | None, Query()] = None) -> list[dict[str, Any]]:
    statuses = (status,) if status else alert_q.LIVE
    rows = await alert_q.list_alerts(conn, user.organisation_id, statuses)
    await record_many(conn, user.id, "alert.list", (r["patient_id"] for r in rows))
    return [alert_q.to_json(r) for r in rows]


@router.post("/alerts/{alert_id}/acknowledge")
async def acknowledge(alert_id: int, session: CsrfSession, conn: DbConn,
                      body: Annotated[AcknowledgeIn | None, Body()] = None) -> dict[str, Any]:
    row = await alert_actions.acknowledge(conn, session.user, alert_id, body.note if body else None)
    return alert_q.to_json(row)


@router.post("/alerts/{alert_id}/resolve")
async def resolve(alert_id: int, body: ResolveIn, session: CsrfSession, conn: DbConn) -> dict[str, Any]:
    row = await alert_actions.resolve(conn, session.user, alert_id, body.outcome, body.note)
    return alert_q.to_json(row)


@router.get("/patients")
async def list_patients(user: CurrentUser, conn: DbConn) -> list[dict[str, Any]]:
    rows = await patient_q.list_patients(conn, user.organisation_id)
    await record_many(conn, user.id, "patient.list", (r["id"] for r in rows))
    return rows


@router.get("/patients/{patient_id}")
async def get_patient(patient_id: int, user: CurrentUser, conn: DbConn) -> dict[str, Any]:
    row = await patient_q.get_patient(conn, user.organisation_id, patient_id)
    if row is None:
        raise NotFound()
    row["alerts"] = [alert_q.to_json(a) for a in await alert_q.patient_alerts(conn, user.organisation_id,
                                                                                patient_id)]
    row["measured_codes"] = sorted(await patient_q.measured_codes(conn, patient_id))
    await record(conn, user.id, "patient.view", patient_id, {"via": "api"})
    return row


@router.get("/patients/{patient_id}/observations")
async def observations(patient_id: int, user: CurrentUser, conn: DbConn,
                       code: Annotated[str | None, Query(max_length=20)] = None,
                       days: Annotated[int, Query(ge=1, le=3650)] = 30) -> list[dict[str, Any]]:
    if await patient_q.get_patient(conn, user.organisation_id, patient_id) is None:
        raise NotFound()
    rows = await patient_q.observations(conn, patient_id, days, code)
    await record(conn, user.id, "patient.observations", patient_id, {"code": code, "days": days})
    return rows
