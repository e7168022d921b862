"""Request dependencies: a pooled connection, the signed-in user and the CSRF check."""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator
from typing import Annotated

import psycopg
from fastapi import Depends, HTTPException, Request
from psycopg_pool import AsyncConnectionPool

from clinician_ui.accounts import CLINICAL_ROLES, HOME_ROLES, Session, User, load_session
from clinician_ui.errors import LoginRequired

SESSION_COOKIE = "nearcare_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"


async def _connection(request: Request) -> AsyncIterator[psycopg.AsyncConnection]:
    pool: AsyncConnectionPool = request.app.state.pool
    # Commits when the handler returns, before the response goes out, so a client that reads
    # after a 200 sees the change (and the audit row) — rolls back on an exception.
    async with pool.connection() as conn:
        yield conn


DbConn = Annotated[psycopg.AsyncConnection, Depends(_connection, scope="function")]


async def _session(request: Request, conn: DbConn) -> Session:
    session = await load_session(conn, request.cookies.get(SESSION_COOKIE), idle=request.app.state.idle_timeout)
    if session is None:
        raise LoginRequired()
    if session.user.role not in CLINICAL_ROLES:
        if session.user.role in HOME_ROLES and not request.url.path.startswith("/api/"):
            # A patient who lands on a clinician page (the start page after login) goes to their own page.
            raise HTTPException(status_code=303, detail="See your own page", headers={"Location": "/me"})
        raise HTTPException(status_code=403, detail="This service is for clinicians")
    request.state.session = session
    return session


CurrentSession = Annotated[Session, Depends(_session)]


async def _user(session: CurrentSession) -> User:
    return session.user


CurrentUser = Annotated[User, Depends(_user)]


async def _csrf_checked(request: Request, session: CurrentSession) -> Session:
    """JSON calls send the token in a header, HTML forms in a hidden field."""
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
        raise HTTPException(status_code=403, detail="CSRF token missing or wrong")
    return session


CsrfSession = Annotated[Session, Depends(_csrf_checked)]


async def _admin(session: CurrentSession) -> Session:
    if session.user.role != "admin":
        raise HTTPException(status_code=403, detail="For organisation admins")
    return session


async def _admin_csrf(session: CsrfSession) -> Session:
    if session.user.role != "admin":
        raise HTTPException(status_code=403, detail="For organisation admins")
    return session


AdminSession = Annotated[Session, Depends(_admin)]
AdminCsrfSession = Annotated[Session, Depends(_admin_csrf)]


async def _home_session(request: Request, conn: DbConn) -> Session:
    """A patient or relative: the patient view only."""
    session = await load_session(conn, request.cookies.get(SESSION_COOKIE), idle=request.app.state.idle_timeout)
    if session is None:
        raise LoginRequired()
    if session.user.role not in HOME_ROLES:
        raise HTTPException(status_code=403, detail="This page is for patients and their relatives")
    request.state.session = session
    return session


HomeSession = Annotated[Session, Depends(_home_session)]


async def _home_csrf(request: Request, session: HomeSession) -> Session:
    return await _csrf_checked(request, session)


HomeCsrfSession = Annotated[Session, Depends(_home_csrf)]
