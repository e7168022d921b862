"""The app factory: pool, live alert listener, routes, security headers and error pages."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path

import structlog
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from psycopg_pool import AsyncConnectionPool

from clinician_ui import live, metrics
from clinician_ui.accounts import IDLE_TIMEOUT
from clinician_ui.errors import Conflict, LoginRequired, NotFound
from clinician_ui.hardening import Hardening
from clinician_ui.i18n import pick_locale, t
from clinician_ui.ratelimit import LoginLimiter
from clinician_ui.routes import (
    admin,
    admin_kits,
    admin_plans,
    api,
    handling,
    health,
    home,
    indicators,
    messages,
    pages,
    patient,
    rounds,
    ws,
)
from clinician_ui.routes import fhir as fhir_routes
from clinician_ui.templating import render

log = structlog.get_logger("clinician_ui")

def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _locale(request: Request) -> str:
    session = getattr(request.state, "session", None)
    return session.user.locale if session else pick_locale(request.cookies.get(pages.LANG_COOKIE))


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        if _wants_json(request):
            return JSONResponse({"detail": "Not signed in"}, status_code=401)
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={target}" if target != "/" else "/login", status_code=303)

    @app.exception_handler(NotFound)
    async def not_found(request: Request, _exc: NotFound) -> Response:
        return await http_error(request, HTTPException(status_code=404, detail="Not found"))

    @app.exception_handler(Conflict)
    async def conflict(request: Request, _exc: Conflict) -> Response:
        return JSONResponse({"detail": "The alert is not in a state that allows this"}, status_code=409)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if _wants_json(request) or exc.status_code not in (403, 404):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        locale = _locale(request)
        message = t(locale, "not_found" if exc.status_code == 404 else "forbidden")
        return render(request, "error.html", locale, status_code=exc.status_code, message=message)


def create_app(database_url: str, *, secure_cookies: bool = True, idle_timeout: timedelta = IDLE_TIMEOUT) -> FastAPI:
    """The clinician web app on this database; the pool and the alert listener live as long as the app."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = AsyncConnectionPool(database_url, min_size=1, max_size=10, open=False, name="clinician_ui")
        await pool.open(wait=True, timeout=30)
        hub = live.Hub()
        app.state.pool, app.state.hub = pool, hub
        listening = asyncio.Event()
        app.state.listening = listening
        listener = asyncio.create_task(live.listen(
            database_url, lambda payload: live.push_alert(pool, hub, payload),
            lambda: hub.broadcast({"type": "resync"}), listening,
        ), name="nearcare-alert-listener")
        # Start serving once alerts can be pushed, so nothing raised right after start-up is missed.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(listening.wait(), timeout=10)
        log.info("clinician_ui_started", listening=listening.is_set())
        try:
            yield
        finally:
            hub.close_all()
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)
            await pool.close(timeout=5)
            log.info("clinician_ui_stopped")

    app = FastAPI(title="nearcare clinician", lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.secure_cookies = secure_cookies
    app.state.idle_timeout = idle_timeout
    app.state.limiter = LoginLimiter()
    app.add_middleware(Hardening, hsts=secure_cookies)
    metrics.instrument(app)
    app.mount("/static", StaticFiles(directory=str(Path(__file__).parent / "static")), name="static")
    app.include_router(api.router)
    app.include_router(fhir_routes.router)
    app.include_router(indicators.router)
    app.include_router(health.router)
    app.include_router(ws.router)
    app.include_router(pages.router)
    app.include_router(handling.router)
    app.include_router(patient.router)
    app.include_router(rounds.router)
    app.include_router(admin.router)
    app.include_router(admin_kits.router)
    app.include_router(admin_plans.router)
    app.include_router(home.router)
    app.include_router(messages.router)
    _install_error_handlers(app)
    return app
