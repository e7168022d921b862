"""Messages from the care team to the patient's own page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

from clinician_ui.accounts import User
from clinician_ui.deps import CsrfSession, DbConn
from clinician_ui.errors import NotFound
from clinician_ui.queries import home as home_q
from clinician_ui.queries import patients as patient_q
from clinician_ui.queries.audit import record
from clinician_ui.redirects import redirect

router = APIRouter()
WRITING_ROLES = frozenset({"nurse", "acute_nurse", "gp"})
MAX_LENGTH = 1000


async def send(conn: DbConn, user: User, patient_id: int, body: str) -> int:
    if await patient_q.get_patient(conn, user.organisation_id, patient_id) is None:
        raise NotFound()
    if user.role not in WRITING_ROLES:
        raise HTTPException(status_code=403, detail="Only the care team writes to patients")
    body = body.strip()
    if not body:
        raise HTTPException(status_code=422, detail="The message is empty")
    message_id = await home_q.add_message(conn, patient_id, user.id, body[:MAX_LENGTH])
    await record(conn, user.id, "message.send", patient_id, {"message_id": message_id})
    return message_id


@router.post("/patients/{patient_id}/messages", include_in_schema=False)
async def send_form(patient_id: int, session: CsrfSession, conn: DbConn,
                    body: Annotated[str, Form(max_length=MAX_LENGTH)] = "") -> RedirectResponse:
    await send(conn, session.user, patient_id, body)
    return redirect(f"/patients/{patient_id}?saved=message#messages")


class MessageIn(BaseModel):
    body: str = Field(min_length=1, max_length=MAX_LENGTH)


@router.post("/api/patients/{patient_id}/messages", tags=["api"])
async def send_api(patient_id: int, message: MessageIn, session: CsrfSession, conn: DbConn) -> JSONResponse:
    message_id = await send(conn, session.user, patient_id, message.body)
    return JSONResponse({"id": message_id, "patient_id": patient_id}, status_code=201)
