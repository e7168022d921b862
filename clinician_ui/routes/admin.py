"""Organisation admin pages: enrol patients, programmes and care team, kits, threshold overrides (with history)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from alerts.thresholds import PROGRAMMES, bands_for
from clinician_ui import admin_actions as actions
from clinician_ui import home_accounts
from clinician_ui.accounts import Session
from clinician_ui.deps import AdminCsrfSession, AdminSession, DbConn
from clinician_ui.errors import NotFound
from clinician_ui.i18n import t
from clinician_ui.queries import admin as q
from clinician_ui.queries import home as home_q
from clinician_ui.queries import overrides as oq
from clinician_ui.queries import patients as patient_q
from clinician_ui.queries import plans as plans_q
from clinician_ui.queries.audit import record, record_many
from clinician_ui.redirects import redirect
from clinician_ui.templating import render

router = APIRouter(include_in_schema=False)


def _texts(errors: dict[str, str], locale: str) -> dict[str, str]:
    return {field: t(locale, key) for field, key in errors.items()}


async def _org_kinds(conn: DbConn) -> tuple[list[dict[str, Any]], dict[int, str]]:
    orgs = await q.organisations(conn)
    return orgs, {int(o["id"]): str(o["kind"]) for o in orgs}


async def _home(request: Request, session: Session, conn: DbConn, status_code: int = 200,
                **extra: Any) -> HTMLResponse:
    rows = await q.patients(conn, session.user.organisation_id)
    orgs, _ = await _org_kinds(conn)
    await record_many(conn, session.user.id, "admin.patient.list", (r["id"] for r in rows))
    extra.setdefault("form", {"programmes": [], "nursing_org": str(session.user.organisation_id)})
    extra.setdefault("errors", {})
    return render(request, "admin.html", session.user.locale, status_code=status_code, page="admin",
                  patients=rows, orgs=orgs, programmes=PROGRAMMES, **extra)


@router.get("/admin")
async def admin_home(request: Request, session: AdminSession, conn: DbConn) -> HTMLResponse:
    return await _home(request, session, conn)


@router.post("/admin/patients")
async def enrol(request: Request, session: AdminCsrfSession, conn: DbConn,
                name: Annotated[str, Form(max_length=200)] = "",
                birth_year: Annotated[str, Form(max_length=10)] = "",
                programmes: Annotated[list[str] | None, Form()] = None,
                nursing_org: Annotated[str, Form(max_length=12)] = "",
                gp_org: Annotated[str, Form(max_length=12)] = "") -> Response:
    _, kinds = await _org_kinds(conn)
    form = {"name": name, "birth_year": birth_year, "programmes": programmes or [], "nursing_org": nursing_org,
            "gp_org": gp_org}
    try:
        e = actions.check_enrolment(session.user, kinds, name, birth_year, programmes or [], nursing_org, gp_org)
    except actions.FormErrors as exc:
        return await _home(request, session, conn, status_code=422, form=form,
                           errors=_texts(exc.errors, session.user.locale))
    pid = await actions.enrol(conn, session.user, e)
    return redirect(f"/admin/patients/{pid}?saved=enrolled")


async def _patient(conn: DbConn, session: Session, patient_id: int) -> dict[str, Any]:
    row = await patient_q.get_patient(conn, session.user.organisation_id, patient_id)
    if row is None:
        raise NotFound()
    return row


async def patient_admin_page(request: Request, session: Session, conn: DbConn, patient_id: int,
                             status_code: int = 200, **extra: Any) -> HTMLResponse:
    row = await _patient(conn, session, patient_id)
    orgs, _ = await _org_kinds(conn)
    kits = await q.kits(conn, session.user.organisation_id)
    history = await oq.history(conn, patient_id)
    defaults = {code: bands_for(row["conditions"], code) for code in actions.OVERRIDABLE}
    await record(conn, session.user.id, "admin.patient.view", patient_id)
    for key in ("care_errors", "kit_errors", "override_errors", "override_form", "plan_errors", "plan_form"):
        extra.setdefault(key, {})
    extra.setdefault("login_errors", {})
    return render(request, "admin_patient.html", session.user.locale, status_code=status_code, page="admin",
                  patient=row, orgs=orgs, programmes=PROGRAMMES, patient_kits=await q.patient_kits(conn, patient_id),
                  free_kits=[k for k in kits if k["patient_id"] is None], overrides=history,
                  active={o["code"]: o for o in history if o["ended_at"] is None}, defaults=defaults,
                  overridable=actions.OVERRIDABLE, limit_fields=actions.LIMIT_FIELDS,
                  access=await home_q.access_list(conn, patient_id), plans=await plans_q.plans(conn, patient_id),
                  **extra)


@router.get("/admin/patients/{patient_id}")
async def patient_admin(patient_id: int, request: Request, session: AdminSession, conn: DbConn,
                        saved: str | None = None) -> HTMLResponse:
    return await patient_admin_page(request, session, conn, patient_id, saved=saved)


@router.post("/admin/patients/{patient_id}/care")
async def set_care(patient_id: int, request: Request, session: AdminCsrfSession, conn: DbConn,
                   programmes: Annotated[list[str] | None, Form()] = None,
                   nursing_org: Annotated[str, Form(max_length=12)] = "",
                   gp_org: Annotated[str, Form(max_length=12)] = "") -> Response:
    row = await _patient(conn, session, patient_id)
    _, kinds = await _org_kinds(conn)
    try:
        e = actions.check_enrolment(session.user, kinds, row["display_name"], str(row["birth_year"] or ""),
                                    programmes or [], nursing_org, gp_org)
    except actions.FormErrors as exc:
        return await patient_admin_page(request, session, conn, patient_id, status_code=422,
                                        care_errors=_texts(exc.errors, session.user.locale))
    await actions.update_care(conn, session.user, patient_id, e)
    return redirect(f"/admin/patients/{patient_id}?saved=care")


@router.post("/admin/patients/{patient_id}/kit")
async def assign_kit(patient_id: int, request: Request, session: AdminCsrfSession, conn: DbConn,
                     gateway_id: Annotated[str, Form(max_length=64)] = "") -> Response:
    await _patient(conn, session, patient_id)
    try:
        await actions.assign_kit(conn, session.user, patient_id, gateway_id)
    except actions.FormErrors as exc:
        return await patient_admin_page(request, session, conn, patient_id, status_code=422,
                                        kit_errors=_texts(exc.errors, session.user.locale))
    return redirect(f"/admin/patients/{patient_id}?saved=kit#kit")


@router.post("/admin/patients/{patient_id}/kit/unassign")
async def unassign_kit(patient_id: int, session: AdminCsrfSession, conn: DbConn) -> RedirectResponse:
    await _patient(conn, session, patient_id)
    await actions.unassign_kit(conn, session.user, patient_id)
    return redirect(f"/admin/patients/{patient_id}?saved=unassigned#kit")


@router.post("/admin/patients/{patient_id}/overrides")
async def set_override(patient_id: int, request: Request, session: AdminCsrfSession, conn: DbConn,
                       code: Annotated[str, Form(max_length=40)] = "",
                       red_low: Annotated[str, Form(max_length=20)] = "",
                       yellow_low: Annotated[str, Form(max_length=20)] = "",
                       yellow_high: Annotated[str, Form(max_length=20)] = "",
                       red_high: Annotated[str, Form(max_length=20)] = "",
                       reason: Annotated[str, Form(max_length=1000)] = "") -> Response:
    await _patient(conn, session, patient_id)
    raw = {"red_low": red_low, "yellow_low": yellow_low, "yellow_high": yellow_high, "red_high": red_high}
    try:
        limits = actions.check_limits(code, raw, reason)
    except actions.FormErrors as exc:
        return await patient_admin_page(request, session, conn, patient_id, status_code=422,
                                        override_errors=_texts(exc.errors, session.user.locale),
                                        override_form={"code": code, "reason": reason, **raw})
    await actions.set_override(conn, session.user, patient_id, code, limits, reason)
    return redirect(f"/admin/patients/{patient_id}?saved=override#overrides")


@router.post("/admin/patients/{patient_id}/overrides/{code}/end")
async def end_override(patient_id: int, code: str, session: AdminCsrfSession, conn: DbConn) -> RedirectResponse:
    await _patient(conn, session, patient_id)
    await actions.end_override(conn, session.user, patient_id, code)
    return redirect(f"/admin/patients/{patient_id}?saved=override_ended#overrides")


@router.post("/admin/patients/{patient_id}/login")
async def create_login(patient_id: int, request: Request, session: AdminCsrfSession, conn: DbConn,
                       name: Annotated[str, Form(max_length=200)] = "",
                       username: Annotated[str, Form(max_length=64)] = "",
                       password: Annotated[str, Form(max_length=200)] = "") -> Response:
    await _patient(conn, session, patient_id)
    try:
        await home_accounts.create_patient_login(conn, session.user, patient_id, name, username, password)
    except actions.FormErrors as exc:
        return await patient_admin_page(request, session, conn, patient_id, status_code=422,
                                        login_errors=_texts(exc.errors, session.user.locale))
    return redirect(f"/admin/patients/{patient_id}?saved=login#login")


# --- JSON ----------------------------------------------------------------------------------------------------

class OverrideIn(BaseModel):
    code: str = Field(max_length=40)
    red_low: float | None = None
    yellow_low: float | None = None
    yellow_high: float | None = None
    red_high: float | None = None
    reason: str = Field(default="", max_length=1000)


def _override_json(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in row.items()}


@router.get("/api/admin/patients/{patient_id}/overrides", include_in_schema=True, tags=["api"])
async def overrides_api(patient_id: int, session: AdminSession, conn: DbConn) -> list[dict[str, Any]]:
    await _patient(conn, session, patient_id)
    await record(conn, session.user.id, "admin.override.list", patient_id)
    return [_override_json(r) for r in await oq.history(conn, patient_id)]


@router.post("/api/admin/patients/{patient_id}/overrides", include_in_schema=True, tags=["api"])
async def set_override_api(patient_id: int, body: OverrideIn, session: AdminCsrfSession,
                           conn: DbConn) -> JSONResponse:
    await _patient(conn, session, patient_id)
    raw = {f: "" if getattr(body, f) is None else str(getattr(body, f)) for f in actions.LIMIT_FIELDS}
    try:
        limits = actions.check_limits(body.code, raw, body.reason)
    except actions.FormErrors as exc:
        return JSONResponse({"detail": "Invalid override", "errors": _texts(exc.errors, "en")}, status_code=422)
    override_id = await actions.set_override(conn, session.user, patient_id, body.code, limits, body.reason)
    return JSONResponse({"id": override_id}, status_code=201)


class KitIn(BaseModel):
    gateway_id: str = Field(max_length=64)
    # Set for a device shared in one home: this patient is that BLE user of the kit's cuff or scale.
    user_index: int | None = Field(default=None, ge=0, le=254)


@router.post("/api/admin/patients/{patient_id}/kit", include_in_schema=True, tags=["api"])
async def assign_kit_api(patient_id: int, body: KitIn, session: AdminCsrfSession, conn: DbConn) -> JSONResponse:
    await _patient(conn, session, patient_id)
    try:
        await actions.assign_kit(conn, session.user, patient_id, body.gateway_id, body.user_index)
    except actions.FormErrors as exc:
        return JSONResponse({"detail": "Cannot assign kit", "errors": _texts(exc.errors, "en")}, status_code=409)
    return JSONResponse({"patient_id": patient_id, "gateway_id": body.gateway_id, "user_index": body.user_index},
                        status_code=201)
