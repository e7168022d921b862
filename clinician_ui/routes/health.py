"""Liveness, readiness and the Prometheus scrape endpoint; none of them needs a session."""

from __future__ import annotations

import asyncio
from typing import Any

import psycopg
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from clinician_ui import metrics

router = APIRouter(include_in_schema=False)

LISTENER_TASK = "nearcare-alert-listener"
_READY_TIMEOUT_S = 3.0


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up and serving; touches nothing else, so a database outage never restarts the web app."""
    return {"status": "ok"}


async def _listener_up(app: FastAPI, conn: psycopg.AsyncConnection) -> bool:
    """Is the LISTEN connection that pushes live alerts connected?"""
    event = getattr(app.state, "listening", None)
    if isinstance(event, asyncio.Event):
        return event.is_set()
    task = next((t for t in asyncio.all_tasks() if t.get_name() == LISTENER_TASK), None)
    if task is None or task.done():
        return False
    # The task retries in a loop while disconnected; the server tells whether a LISTEN session is up.
    cur = await conn.execute(
        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid() AND state = 'idle' AND query ILIKE 'LISTEN %%')")
    row = await cur.fetchone()
    return bool(row and row[0])


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    """Ready for traffic: the database answers and live alerts can be pushed."""
    checks: dict[str, Any] = {"database": False, "alert_listener": False}
    pool: AsyncConnectionPool | None = getattr(request.app.state, "pool", None)
    if pool is not None:
        try:
            async with asyncio.timeout(_READY_TIMEOUT_S), pool.connection(timeout=_READY_TIMEOUT_S) as conn:
                await conn.execute("SELECT 1")
                checks["database"] = True
                checks["alert_listener"] = await _listener_up(request.app, conn)
        except (psycopg.Error, PoolTimeout, TimeoutError) as exc:
            checks["error"] = type(exc).__name__
    ready = checks["database"] and checks["alert_listener"]
    return JSONResponse({"status": "ready" if ready else "not ready", "checks": checks},
                        status_code=200 if ready else 503)


@router.get("/metrics")
async def prometheus_metrics(request: Request) -> Response:
    """Prometheus text format. Keep it on the internal network: it holds counts only, never patient data."""
    hub = getattr(request.app.state, "hub", None)
    metrics.WEBSOCKET_CLIENTS.set(len(hub.clients) if hub is not None else 0)
    pool: AsyncConnectionPool | None = getattr(request.app.state, "pool", None)
    if pool is not None:
        try:
            async with pool.connection(timeout=_READY_TIMEOUT_S) as conn:
                await metrics.refresh_from_database(request.app, conn)
        except (psycopg.Error, PoolTimeout):
            pass  # the request metrics are still worth scraping while the database is away
    return Response(metrics.exposition(), media_type=metrics.CONTENT_TYPE)
