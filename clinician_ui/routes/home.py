"""The patient's own page, in large type and plain words; the relatives a patient lets see it."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from clinician_ui import home_accounts
from clinician_ui.accounts import Session
from clinician_ui.admin_actions import FormErrors
from clinician_ui.deps import DbConn, HomeCsrfSession, HomeSession
from clinician_ui.errors import NotFound
from clinician_ui.i18n import TZ, code_for, t
from clinician_ui.queries import home as q
from clinician_ui.queries import kit_health
from clinician_ui.queries.audit import record
from clinician_ui.redirects import redirect
from clinician_ui.templating import render

router = APIRouter(include_in_schema=False)

# The order an older patient thinks of them in: blood pressure and pulse, weight, sugar, breathing.
_ORDER = ["bp_systolic", "bp_diastolic", "pulse_rate", "body_weight", "glucose", "spo2", "body_temp", "pef",
          "fev1"]


def _rank(row: dict[str, Any]) -> int:
    code = code_for(str(row["code"]))
    return _ORDER.index(code.key) if code and code.key in _ORDER else len(_ORDER)


def kit_state(kit: dict[str, Any] | None, now: datetime) -> dict[str, Any]:
    """What the patient needs to know about the home box, and what to do."""
    if kit is None:
        return {"state": "none"}
    problems = kit_health.problems_of(kit, now - kit_health.OFFLINE_AFTER)
    return {"state": "offline" if "offline" in problems else "ok", "last_seen_at": kit["last_seen_at"],
            "batteries": kit_health.low_batteries(kit["status"])}


async def _chosen(conn: DbConn, session: Session, patient: int | None) -> tuple[dict[str, Any], list[Any]]:
    readable = await q.readable_patients(conn, session.user.id)
    if not readable:
        raise NotFound()
    chosen = next((p for p in readable if p["id"] == patient), None) if patient else readable[0]
    if chosen is None:
        raise NotFound()
    return chosen, readable


async def _page(request: Request, session: Session, conn: DbConn, patient: int | None, status_code: int = 200,
                **extra: Any) -> HTMLResponse:
    chosen, readable = await _chosen(conn, session, patient)
    pid = int(chosen["id"])
    now = datetime.now(TZ)
    readings = sorted(await q.latest_readings(conn, pid), key=_rank)
    messages = await q.messages(conn, pid)
    if chosen["relation"] == "self":
        await q.mark_read(conn, pid)
    own = chosen["relation"] == "self"
    await record(conn, session.user.id, "home.view", pid, {"relation": chosen["relation"]})
    extra.setdefault("errors", {})
    extra.setdefault("form", {})
    return render(request, "home.html", session.user.locale, status_code=status_code, page="home", patient=chosen,
                  readable=readable, readings=readings, kit=kit_state(await q.current_kit(conn, pid), now),
                  messages=messages, own=own, relatives=await q.relatives(conn, pid) if own else [], **extra)


@router.get("/me")
async def home(request: Request, session: HomeSession, conn: DbConn,
               patient: Annotated[int | None, Query()] = None,
               saved: Annotated[str | None, Query(max_length=20)] = None) -> HTMLResponse:
    return await _page(request, session, conn, patient, saved=saved)


async def _own_patient(conn: DbConn, session: Session) -> int:
    chosen, _ = await _chosen(conn, session, None)
    if chosen["relation"] != "self":
        raise NotFound()  # only the patient decides who sees the page
    return int(chosen["id"])


@router.post("/me/relatives")
async def add_relative(request: Request, session: HomeCsrfSession, conn: DbConn,
                       name: Annotated[str, Form(max_length=200)] = "",
                       username: Annotated[str, Form(max_length=64)] = "",
                       password: Annotated[str, Form(max_length=200)] = "") -> Response:
    pid = await _own_patient(conn, session)
    try:
        await home_accounts.grant_relative(conn, session.user, pid, name, username, password)
    except FormErrors as exc:
        return await _page(request, session, conn, None, status_code=422,
                           errors={k: t(session.user.locale, v) for k, v in exc.errors.items()},
                           form={"name": name, "username": username})
    return redirect("/me?saved=relative#relatives")


@router.post("/me/relatives/{user_id}/revoke")
async def revoke_relative(user_id: int, session: HomeCsrfSession, conn: DbConn) -> RedirectResponse:
    pid = await _own_patient(conn, session)
    await home_accounts.revoke_relative(conn, session.user, pid, user_id)
    return redirect("/me?saved=revoked#relatives")
