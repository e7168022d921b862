"""The patient page (trends, alerts, the nurse's and GP's forms) and the readings a nurse types in."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from clinician_ui import charts, glucose, manual_readings
from clinician_ui.accounts import Session, User
from clinician_ui.deps import CsrfSession, CurrentSession, DbConn
from clinician_ui.errors import NotFound
from clinician_ui.i18n import TZ, number, t, unit_label
from clinician_ui.queries import alerts as alert_q
from clinician_ui.queries import home as home_q
from clinician_ui.queries import overrides as overrides_q
from clinician_ui.queries import patients as patient_q
from clinician_ui.queries import responsibility
from clinician_ui.queries import rounds as rounds_q
from clinician_ui.queries.audit import record
from clinician_ui.redirects import redirect
from clinician_ui.routes.messages import WRITING_ROLES
from clinician_ui.templating import render
from device_profiles.codes import CODES

router = APIRouter()


def manual_form_defaults(now: datetime) -> dict[str, str]:
    return {"code": "", "value": "", "measured_at": now.astimezone(TZ).strftime("%Y-%m-%dT%H:%M")}


def error_texts(errors: dict[str, str], code: str, locale: str) -> dict[str, str]:
    c = CODES.get(code)
    out = {}
    for field, key in errors.items():
        if key == "err_value_impossible" and c is not None:
            out[field] = t(locale, key, low=number(c.possible[0], locale), high=number(c.possible[1], locale),
                           unit=unit_label(c.unit, locale))
        else:
            out[field] = t(locale, key)
    return out


async def _visible(conn: DbConn, user: User, patient_id: int) -> dict[str, Any]:
    row = await patient_q.get_patient(conn, user.organisation_id, patient_id)
    if row is None:
        raise NotFound()
    return row


async def patient_page(request: Request, session: Session, conn: DbConn, patient_id: int, days: int = 30, *,
                       status_code: int = 200, **extra: Any) -> HTMLResponse:
    user = session.user
    row = await _visible(conn, user, patient_id)
    days = days if days in charts.PERIODS else 30
    now = datetime.now(TZ)
    readings = await patient_q.observations(conn, patient_id, days)
    chart_data = charts.build(row["conditions"], await patient_q.measured_codes(conn, patient_id), readings,
                              days, user.locale, now, await overrides_q.active(conn, patient_id))
    alerts = await alert_q.patient_alerts(conn, user.organisation_id, patient_id)
    charts.add_markers(chart_data, alerts, user.locale)
    sugar = None
    if "diabetes" in row["conditions"] or any(c["loinc"] == "14743-9" for c in chart_data):
        sugar = glucose.summarise(await rounds_q.glucose_readings(conn, patient_id, glucose.DAYS))
    await record(conn, user.id, "patient.view", patient_id, {"days": days})
    extra.setdefault("manual", manual_form_defaults(now))
    extra.setdefault("manual_errors", {})
    return render(request, "patient.html", user.locale, status_code=status_code, page="patients", patient=row,
                  alerts=alerts, charts=chart_data, days=days, periods=charts.PERIODS,
                  next_url=f"/patients/{patient_id}", manual_codes=manual_readings.MANUAL_CODES,
                  can_enter=user.role in manual_readings.ENTERING_ROLES,
                  colleagues=await responsibility.colleagues(conn, user.organisation_id), glucose=sugar,
                  agp=_agp_payload(sugar), reviews=await rounds_q.recent_reviews(conn, patient_id),
                  messages=await home_q.messages(conn, patient_id, 5), can_message=user.role in WRITING_ROLES,
                  **extra)


def _agp_payload(sugar: glucose.Summary | None) -> dict[str, Any] | None:
    if sugar is None:
        return None
    p = sugar.profile
    return {"p5": p.p5, "p25": p.p25, "p50": p.p50, "p75": p.p75, "p95": p.p95, "target": [3.9, 10.0]}


@router.get("/patients/{patient_id}", include_in_schema=False)
async def patient(patient_id: int, request: Request, session: CurrentSession, conn: DbConn,
                  days: Annotated[int, Query()] = 30,
                  saved: Annotated[str | None, Query(max_length=10)] = None) -> HTMLResponse:
    notice = {"1": "manual_saved", "dup": "manual_duplicate", "review": "review_saved",
              "message": "message_sent"}.get(saved or "")
    return await patient_page(request, session, conn, patient_id, days, notice=notice)


@router.post("/patients/{patient_id}/readings", include_in_schema=False)
async def manual_reading_form(patient_id: int, request: Request, session: CsrfSession, conn: DbConn,
                              code: Annotated[str, Form(max_length=40)] = "",
                              value: Annotated[str, Form(max_length=40)] = "",
                              measured_at: Annotated[str, Form(max_length=40)] = "") -> Response:
    user = session.user
    await _visible(conn, user, patient_id)
    if user.role not in manual_readings.ENTERING_ROLES:
        raise HTTPException(status_code=403, detail="Only clinicians enter readings")
    parsed = manual_readings.parse(code, value, measured_at, datetime.now(TZ))
    if isinstance(parsed, dict):
        return await patient_page(
            request, session, conn, patient_id, status_code=422, notice="manual_fix",
            manual={"code": code, "value": value, "measured_at": measured_at},
            manual_errors=error_texts(parsed, code, user.locale))
    stored = await manual_readings.store(conn, user, patient_id, parsed)
    return redirect(f"/patients/{patient_id}?saved={'1' if stored else 'dup'}#manual")


class ManualIn(BaseModel):
    code: str = Field(max_length=40, description="internal measurement key, e.g. bp_systolic")
    value: float | str
    measured_at: str = Field(max_length=40, description="ISO 8601; without an offset it is Copenhagen time")


@router.post("/api/patients/{patient_id}/observations", tags=["api"])
async def manual_reading_api(patient_id: int, body: ManualIn, session: CsrfSession, conn: DbConn) -> JSONResponse:
    user = session.user
    await _visible(conn, user, patient_id)
    if user.role not in manual_readings.ENTERING_ROLES:
        raise HTTPException(status_code=403, detail="Only clinicians enter readings")
    parsed = manual_readings.parse(body.code, str(body.value), body.measured_at, datetime.now(TZ))
    if isinstance(parsed, dict):
        return JSONResponse({"detail": "Invalid reading", "errors": error_texts(parsed, body.code, "en")},
                            status_code=422)
    stored = await manual_readings.store(conn, user, patient_id, parsed)
    obs_id = manual_readings.reading_id(patient_id, parsed, user.id)
    return JSONResponse({"id": str(obs_id), "stored": stored, "code": parsed.code.loinc, "value": parsed.value,
                         "unit": parsed.code.unit, "measured_at": parsed.measured_at.isoformat(),
                         "source": "manual"}, status_code=201 if stored else 200)
