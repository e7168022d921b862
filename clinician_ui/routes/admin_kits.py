"""Organisation admin: kit health, registering kits, quarantine (with replay) and the audit log."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from clinician_ui import admin_actions as actions
from clinician_ui.deps import AdminCsrfSession, AdminSession, DbConn
from clinician_ui.i18n import TZ, t
from clinician_ui.queries import admin as q
from clinician_ui.queries import kit_health
from clinician_ui.queries.audit import record
from clinician_ui.redirects import redirect
from clinician_ui.templating import render

router = APIRouter(include_in_schema=False)
QUARANTINE_DAYS = 30

try:  # the ingest side's replay, when it is installed
    from ingest.replay import reason_kind, replay_quarantine
except ImportError:  # pragma: no cover
    replay_quarantine = None  # type: ignore[assignment]

    def reason_kind(reason: str) -> str:
        return "other"


async def _kits_page(request: Request, session: AdminSession, conn: DbConn, status_code: int = 200,
                     **extra: Any) -> HTMLResponse:
    rows = await q.kits(conn, session.user.organisation_id)
    cutoff = datetime.now(TZ) - kit_health.OFFLINE_AFTER
    for row in rows:
        row["problems"] = kit_health.problems_of(row, cutoff)
        row["low_batteries"] = kit_health.low_batteries(row["status"])
        row["outbox_depth"] = (row["status"] or {}).get("outbox_depth")
        row["devices"] = (row["status"] or {}).get("devices") or {}
    await record(conn, session.user.id, "admin.kit.list", None, {"kits": len(rows)})
    extra.setdefault("errors", {})
    extra.setdefault("form", {})
    return render(request, "admin_kits.html", session.user.locale, status_code=status_code, page="admin",
                  kits=rows, **extra)


@router.get("/admin/kits")
async def kits(request: Request, session: AdminSession, conn: DbConn) -> HTMLResponse:
    return await _kits_page(request, session, conn)


@router.post("/admin/kits")
async def register(request: Request, session: AdminCsrfSession, conn: DbConn,
                   gateway_id: Annotated[str, Form(max_length=64)] = "",
                   label: Annotated[str, Form(max_length=200)] = "") -> Response:
    try:
        await actions.register_kit(conn, session.user, gateway_id, label)
    except actions.FormErrors as exc:
        return await _kits_page(request, session, conn, status_code=422,
                                errors={k: t(session.user.locale, v) for k, v in exc.errors.items()},
                                form={"gateway_id": gateway_id, "label": label})
    return redirect("/admin/kits")


@router.get("/admin/quarantine")
async def quarantine(request: Request, session: AdminSession, conn: DbConn,
                     replayed: Annotated[str | None, Query(max_length=40)] = None) -> HTMLResponse:
    rows = await q.quarantine_rows(conn, session.user.organisation_id, QUARANTINE_DAYS)
    counts: dict[str, dict[str, int]] = {}
    for row in rows:
        row["kind"] = reason_kind(row["reason"])
        c = counts.setdefault(row["kind"], {"total": 0, "pending": 0})
        c["total"] += 1
        c["pending"] += row["replayed_at"] is None
    await record(conn, session.user.id, "admin.quarantine.view", None, {"rows": len(rows)})
    return render(request, "admin_quarantine.html", session.user.locale, page="admin", rows=rows[:50],
                  counts=sorted(counts.items(), key=lambda kv: -kv[1]["total"]), days=QUARANTINE_DAYS,
                  can_replay=replay_quarantine is not None, replayed=replayed)


def _replay(conninfo: str, ids: list[int]) -> tuple[int, int]:
    assert replay_quarantine is not None
    with psycopg.connect(conninfo) as conn:
        report = replay_quarantine(conn, ids=ids)
    return report.replayed, report.still_bad


@router.post("/admin/quarantine/replay")
async def replay(request: Request, session: AdminCsrfSession, conn: DbConn) -> RedirectResponse:
    ids = await q.pending_quarantine_ids(conn, session.user.organisation_id, QUARANTINE_DAYS)
    if replay_quarantine is None or not ids:
        return redirect("/admin/quarantine?replayed=0-0")
    # The replay commits in its own transactions, chunk by chunk, as the ingest side does.
    done, still_bad = await asyncio.to_thread(_replay, request.app.state.pool.conninfo, ids)
    await record(conn, session.user.id, "admin.quarantine.replay", None,
                 {"rows": len(ids), "replayed": done, "still_bad": still_bad})
    return redirect(f"/admin/quarantine?replayed={done}-{still_bad}")


@router.get("/admin/audit")
async def audit(request: Request, session: AdminSession, conn: DbConn,
                patient: Annotated[int | None, Query()] = None, user: Annotated[int | None, Query()] = None,
                start: Annotated[date | None, Query(alias="from")] = None,
                end: Annotated[date | None, Query(alias="to")] = None) -> HTMLResponse:
    from clinician_ui.queries import audit_log

    org = session.user.organisation_id
    today = datetime.now(TZ).date()
    start = start or today - timedelta(days=7)
    end = end or today
    rows = await audit_log.entries(conn, org, patient_id=patient, user_id=user, start=start, end=end)
    await record(conn, session.user.id, "admin.audit.view", patient,
                 {"user": user, "from": start.isoformat(), "to": end.isoformat(), "rows": len(rows)})
    return render(request, "admin_audit.html", session.user.locale, page="admin", rows=rows,
                  users=await audit_log.users(conn, org), patients=await audit_log.patients(conn, org),
                  filters={"patient": patient, "user": user, "from": start.isoformat(), "to": end.isoformat()},
                  limit=audit_log.LIMIT)
