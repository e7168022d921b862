"""Admin: set or remove a patient's measurement plan (e.g. weight daily before 10:00)."""

from __future__ import annotations

from datetime import time
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from clinician_ui.admin_actions import OVERRIDABLE
from clinician_ui.deps import AdminCsrfSession, DbConn
from clinician_ui.i18n import t
from clinician_ui.queries import plans as q
from clinician_ui.queries.audit import record
from clinician_ui.redirects import redirect
from clinician_ui.routes.admin import _patient, patient_admin_page

router = APIRouter(include_in_schema=False)

FREQUENCIES = ("daily", "weekly")


def check_plan(code: str, frequency: str, due_by: str) -> tuple[dict[str, str], time | None]:
    """Field → message key for what is wrong, and the parsed time."""
    errors: dict[str, str] = {}
    if code not in OVERRIDABLE:
        errors["code"] = "plan_error_code"
    if frequency not in FREQUENCIES:
        errors["frequency"] = "plan_error_frequency"
    parsed: time | None = None
    try:
        hours, minutes = due_by.strip().split(":")
        parsed = time(int(hours), int(minutes))
    except ValueError:
        errors["due_by"] = "plan_error_due_by"
    return errors, parsed


@router.post("/admin/patients/{patient_id}/plans")
async def set_plan(patient_id: int, request: Request, session: AdminCsrfSession, conn: DbConn,
                   code: Annotated[str, Form(max_length=40)] = "",
                   frequency: Annotated[str, Form(max_length=10)] = "daily",
                   due_by: Annotated[str, Form(max_length=100)] = "") -> Response:
    await _patient(conn, session, patient_id)
    errors, parsed = check_plan(code, frequency, due_by)
    if errors or parsed is None:
        return await patient_admin_page(
            request, session, conn, patient_id, status_code=422,
            plan_errors={k: t(session.user.locale, v) for k, v in errors.items()},
            plan_form={"code": code, "frequency": frequency, "due_by": due_by})
    await q.set_plan(conn, patient_id, code, frequency, parsed)
    await record(conn, session.user.id, "admin.plan.set", patient_id,
                 {"code": code, "frequency": frequency, "due_by": parsed.strftime("%H:%M")})
    return redirect(f"/admin/patients/{patient_id}?saved=plan#plans")


@router.post("/admin/patients/{patient_id}/plans/{code}/delete")
async def delete_plan(patient_id: int, code: str, session: AdminCsrfSession, conn: DbConn) -> RedirectResponse:
    await _patient(conn, session, patient_id)
    if await q.delete_plan(conn, patient_id, code):
        await record(conn, session.user.id, "admin.plan.delete", patient_id, {"code": code})
    return redirect(f"/admin/patients/{patient_id}?saved=plan_deleted#plans")
