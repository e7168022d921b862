"""HTML pages: login, the nurse's triage queue, patients and the patient's trends (with no-script forms)."""

from __future__ import annotations

import contextlib
import hmac
import secrets
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from clinician_ui import alert_actions
from clinician_ui.accounts import set_locale
from clinician_ui.deps import CsrfSession, CurrentSession, DbConn
from clinician_ui.errors import Conflict, NotFound
from clinician_ui.i18n import LOCALES, TZ, pick_locale, t
from clinician_ui.queries import alerts as alert_q
from clinician_ui.queries import kit_health, responsibility, sparklines
from clinician_ui.queries import patients as patient_q
from clinician_ui.queries.audit import record, record_many
from clinician_ui.redirects import redirect, safe_next
from clinician_ui.signin import Throttled, clear_session_cookie, set_session_cookie, sign_in, sign_out
from clinician_ui.templating import render

router = APIRouter(include_in_schema=False)

LANG_COOKIE = "nearcare_lang"
LOGIN_CSRF_COOKIE = "nearcare_login_csrf"


_safe_next = safe_next
_redirect = redirect


# --- login -------------------------------------------------------------------------------------------------

def _login_page(request: Request, locale: str, *, next_url: str, username: str = "", error: str | None = None,
                status_code: int = 200) -> HTMLResponse:
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render(request, "login.html", locale, status_code=status_code, login_csrf=token,
                      next_url=next_url, username=username, error=error)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, max_age=3600, httponly=True, samesite="strict",
                        secure=request.app.state.secure_cookies, path="/login")
    return response


@router.get("/login")
async def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    locale = pick_locale(request.cookies.get(LANG_COOKIE))
    return _login_page(request, locale, next_url=_safe_next(next))


@router.post("/login")
async def login_submit(request: Request, conn: DbConn, username: Annotated[str, Form(max_length=200)] = "",
                       password: Annotated[str, Form(max_length=1000)] = "",
                       csrf_token: Annotated[str, Form()] = "",
                       next: Annotated[str, Form()] = "/") -> Response:
    locale = pick_locale(request.cookies.get(LANG_COOKIE))
    next_url = _safe_next(next)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), csrf_token.encode()):
        return _login_page(request, locale, next_url=next_url, username=username, status_code=403,
                           error=t(locale, "login_form_expired"))
    if not username.strip() or not password:
        return _login_page(request, locale, next_url=next_url, username=username, status_code=400,
                           error=t(locale, "login_missing"))
    ip = request.client.host if request.client else "unknown"
    try:
        signed = await sign_in(conn, request.app.state.limiter, username.strip(), password, ip,
                               idle=request.app.state.idle_timeout)
    except Throttled as exc:
        return _login_page(request, locale, next_url=next_url, username=username, status_code=429,
                           error=t(locale, "login_throttled", minutes=exc.minutes))
    if signed is None:
        return _login_page(request, locale, next_url=next_url, username=username, status_code=401,
                           error=t(locale, "login_failed"))
    response = _redirect(next_url)
    set_session_cookie(response, signed.token, request.app.state.secure_cookies)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.get("/lang/{locale}")
async def choose_login_language(locale: str, request: Request, next: str | None = None) -> RedirectResponse:
    """Language before signing in (afterwards it is a per-user setting)."""
    response = _redirect(_safe_next(next, "/login"))
    response.set_cookie(LANG_COOKIE, pick_locale(locale), max_age=365 * 86400, samesite="lax",
                        secure=request.app.state.secure_cookies, path="/")
    return response


@router.post("/logout")
async def logout(request: Request, session: CsrfSession, conn: DbConn) -> RedirectResponse:
    await sign_out(conn, session.user.id, session.token_hash)
    request.app.state.hub.close_session(session.token_hash)
    response = _redirect("/login")
    clear_session_cookie(response, request.app.state.secure_cookies)
    return response


@router.post("/locale")
async def change_locale(request: Request, session: CsrfSession, conn: DbConn,
                        locale: Annotated[str, Form()],
                        next: Annotated[str, Form()] = "/") -> RedirectResponse:
    chosen = pick_locale(locale if locale in LOCALES else None)
    await set_locale(conn, session.user.id, chosen)
    response = _redirect(_safe_next(next))
    response.set_cookie(LANG_COOKIE, chosen, max_age=365 * 86400, samesite="lax",
                        secure=request.app.state.secure_cookies, path="/")
    return response


# --- triage ------------------------------------------------------------------------------------------------

async def _queue(conn: DbConn, session: CurrentSession) -> dict[str, Any]:
    org = session.user.organisation_id
    rows = await alert_q.list_alerts(conn, org)
    kits = await kit_health.kit_problems(conn, org)
    await record_many(conn, session.user.id, "alert.list", (r["patient_id"] for r in rows))
    await record_many(conn, session.user.id, "kit.list", (k["patient_id"] for k in kits))
    now = datetime.now(TZ)
    snoozed = [r for r in rows if r["snoozed_until"] and r["snoozed_until"] > now]
    active = [r for r in rows if r not in snoozed]
    return {"open_alerts": [r for r in active if r["status"] == "open"],
            "ack_alerts": [r for r in active if r["status"] == "acknowledged"], "snoozed_alerts": snoozed,
            "sparks": await sparklines.recent_values(conn, rows), "kit_problems": kits,
            "colleagues": await responsibility.colleagues(conn, org)}


@router.get("/")
async def triage(request: Request, session: CurrentSession, conn: DbConn) -> HTMLResponse:
    return render(request, "triage.html", session.user.locale, page="triage", **await _queue(conn, session))


@router.get("/partials/queue")
async def queue_partial(request: Request, session: CurrentSession, conn: DbConn) -> HTMLResponse:
    return render(request, "_queue.html", session.user.locale, **await _queue(conn, session))


@router.get("/partials/alerts/{alert_id}")
async def alert_partial(alert_id: int, request: Request, session: CurrentSession,
                        conn: DbConn) -> HTMLResponse:
    row = await alert_q.get_alert(conn, session.user.organisation_id, alert_id)
    if row is None or row["status"] == "resolved" or (
            row["snoozed_until"] and row["snoozed_until"] > datetime.now(TZ)):
        raise NotFound()  # the live queue drops it; a snoozed alert is listed apart on the next reload
    await record(conn, session.user.id, "alert.view", row["patient_id"], {"alert_id": alert_id})
    return render(request, "_alert_row.html", session.user.locale, alert=row, next_url="/",
                  sparks=await sparklines.recent_values(conn, [row]),
                  colleagues=await responsibility.colleagues(conn, session.user.organisation_id))


@router.post("/alerts/{alert_id}/acknowledge")
async def acknowledge_form(alert_id: int, session: CsrfSession, conn: DbConn,
                           note: Annotated[str, Form(max_length=2000)] = "",
                           next: Annotated[str, Form()] = "/") -> RedirectResponse:
    # Someone else got there first: the page they come back to shows who.
    with contextlib.suppress(Conflict):
        await alert_actions.acknowledge(conn, session.user, alert_id, note)
    return _redirect(_safe_next(next))


@router.post("/alerts/{alert_id}/resolve")
async def resolve_form(alert_id: int, session: CsrfSession, conn: DbConn,
                       outcome: Annotated[alert_actions.Outcome, Form()],
                       note: Annotated[str, Form(max_length=2000)] = "",
                       next: Annotated[str, Form()] = "/") -> RedirectResponse:
    with contextlib.suppress(Conflict):
        await alert_actions.resolve(conn, session.user, alert_id, outcome, note)
    return _redirect(_safe_next(next))


# --- patients ----------------------------------------------------------------------------------------------

@router.get("/patients")
async def patients(request: Request, session: CurrentSession, conn: DbConn) -> HTMLResponse:
    rows = await patient_q.list_patients(conn, session.user.organisation_id)
    await record_many(conn, session.user.id, "patient.list", (r["id"] for r in rows))
    return render(request, "patients.html", session.user.locale, page="patients", patients=rows)
