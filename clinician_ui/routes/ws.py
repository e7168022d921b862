"""The live alert websocket: cookie-authenticated, one queue per client, organisation-scoped by the hub."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect, status
from psycopg_pool import AsyncConnectionPool

from clinician_ui.accounts import CLINICAL_ROLES, Session, load_session
from clinician_ui.deps import SESSION_COOKIE
from clinician_ui.live import Client, Hub

router = APIRouter()

KEEPALIVE_S = 30.0


def _same_origin(websocket: WebSocket) -> bool:
    """Browsers send cookies on cross-site websocket handshakes; refuse other sites' pages."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser
    return urlsplit(origin).netloc == websocket.headers.get("host")


async def _session(pool: AsyncConnectionPool, token: str | None, idle: timedelta | None) -> Session | None:
    """Opening the socket is activity (it comes with a page); a keepalive only checks (``idle`` None)."""
    async with pool.connection() as conn:
        session = await load_session(conn, token, idle=idle)
    return session if session and session.user.role in CLINICAL_ROLES else None


async def _receive(websocket: WebSocket) -> None:
    """Client messages carry nothing; reading them notices the disconnect."""
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return


async def _send(websocket: WebSocket, client: Client, pool: AsyncConnectionPool, token: str | None) -> None:
    while True:
        try:
            message = await asyncio.wait_for(client.queue.get(), timeout=KEEPALIVE_S)
        except TimeoutError:
            # Keeps proxies from closing an idle socket, and ends it once the session has expired.
            if await _session(pool, token, None) is None:
                return
            message = {"type": "ping"}
        if Client.is_close(message):
            return
        await websocket.send_json(message)


@router.websocket("/ws")
async def alerts_socket(websocket: WebSocket) -> None:
    pool: AsyncConnectionPool = websocket.app.state.pool
    hub: Hub = websocket.app.state.hub
    token = websocket.cookies.get(SESSION_COOKIE)
    session = await _session(pool, token, websocket.app.state.idle_timeout) if _same_origin(websocket) else None
    if session is None:
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
        return
    await websocket.accept()
    client = Client(user_id=session.user.id, organisation_id=session.user.organisation_id,
                    token_hash=session.token_hash)
    hub.add(client)
    tasks = [asyncio.create_task(_receive(websocket)),
             asyncio.create_task(_send(websocket, client, pool, token))]
    try:
        await websocket.send_json({"type": "hello"})
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        hub.discard(client)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    with contextlib.suppress(RuntimeError, WebSocketDisconnect):
        await websocket.close()
