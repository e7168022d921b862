"""GP virtual rounds: patients ordered by what changed since this user last reviewed them; mark reviewed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

from clinician_ui import rounds
from clinician_ui.accounts import User
from clinician_ui.deps import CsrfSession, CurrentSession, CurrentUser, DbConn
from clinician_ui.errors import NotFound
from clinician_ui.i18n import TZ
from clinician_ui.queries import patients as patient_q
from clinician_ui.queries import rounds as rounds_q
from clinician_ui.queries.audit import record, record_many
from clinician_ui.redirects import redirect, safe_next
from clinician_ui.templating import render

router = APIRouter()


async def round_items(conn: DbConn, user: User) -> list[rounds.RoundItem]:
    now = datetime.now(TZ)
    rows = await rounds_q.patients(conn, user.organisation_id, user.id)
    sinces = {int(r["id"]): max(r["since"], now - rounds.RECENT) for r in rows}
    stats = await rounds_q.code_stats(conn, sinces)
    items = [rounds.build(r, stats.get(int(r["id"]), []), now) for r in rows]
    await record_many(conn, user.id, "rounds.list", sinces)
    return rounds.order(items)


def _clean(note: str | None) -> str | None:
    return (note or "").strip()[:2000] or None


async def mark_reviewed(conn: DbConn, user: User, patient_id: int, note: str | None) -> int:
    if await patient_q.get_patient(conn, user.organisation_id, patient_id) is None:
        raise NotFound()
    note = _clean(note)
    review_id = await rounds_q.add_review(conn, patient_id, user.id, note)
    await record(conn, user.id, "patient.review", patient_id, {"review_id": review_id, "note": note})
    return review_id


@router.get("/rounds", include_in_schema=False)
async def rounds_page(request: Request, session: CurrentSession, conn: DbConn) -> HTMLResponse:
    items = await round_items(conn, session.user)
    return render(request, "rounds.html", session.user.locale, page="rounds", items=items,
                  round_summary=rounds.summary, changed=sum(1 for i in items if i.changed))


@router.get("/api/rounds", tags=["api"])
async def rounds_api(user: CurrentUser, conn: DbConn) -> list[dict[str, Any]]:
    now = datetime.now(TZ)
    out = []
    for item in await round_items(conn, user):
        out.append({"patient_id": item.patient["id"], "display_name": item.patient["display_name"],
                    "changed": item.changed, "score": item.score, "new_red": item.new_red,
                    "new_yellow": item.new_yellow, "new_review": item.new_review, "escalated": item.escalated,
                    "missing_days": item.missing_days,
                    "trends": [{"code": tr.code, "delta": round(tr.delta, 2), "unit": tr.unit} for tr in item.trends],
                    "last_reviewed_at": item.last_review.isoformat() if item.last_review else None,
                    "summary": " · ".join(text for _, text in rounds.summary(item, "en", now))})
    return out


class ReviewIn(BaseModel):
    note: str | None = Field(default=None, max_length=2000)


@router.post("/api/patients/{patient_id}/reviews", tags=["api"])
async def review_api(patient_id: int, body: ReviewIn, session: CsrfSession, conn: DbConn) -> JSONResponse:
    review_id = await mark_reviewed(conn, session.user, patient_id, body.note)
    return JSONResponse({"id": review_id, "patient_id": patient_id, "note": _clean(body.note)}, status_code=201)


@router.post("/patients/{patient_id}/reviews", include_in_schema=False)
async def review_form(patient_id: int, session: CsrfSession, conn: DbConn,
                      note: Annotated[str, Form(max_length=2000)] = "",
                      next: Annotated[str, Form()] = "/rounds") -> RedirectResponse:
    await mark_reviewed(conn, session.user, patient_id, note)
    return redirect(safe_next(next, "/rounds"))
