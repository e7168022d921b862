"""Live alert push: one LISTEN connection per process fans notifications out to websocket clients.

Only clients whose organisation is the patient's nursing team or GP practice receive an alert.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import psycopg
import structlog
from psycopg_pool import AsyncConnectionPool

from clinician_ui.queries.alerts import CHANNEL, get_alert_unscoped, to_json
from clinician_ui.queries.audit import record

log = structlog.get_logger("clinician_ui.live")

Message = dict[str, Any]
_CLOSE: Message = {"type": "_close"}


@dataclass(eq=False)
class Client:
    user_id: int
    organisation_id: int | None
    token_hash: str
    queue: asyncio.Queue[Message] = field(default_factory=lambda: asyncio.Queue(maxsize=200))

    def send(self, message: Message) -> None:
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            # A client this far behind reconnects and reloads its queue rather than missing alerts silently.
            self.close()

    def close(self) -> None:
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(_CLOSE)

    @staticmethod
    def is_close(message: Message) -> bool:
        return message is _CLOSE


@dataclass
class Hub:
    clients: set[Client] = field(default_factory=set)

    def add(self, client: Client) -> None:
        self.clients.add(client)

    def discard(self, client: Client) -> None:
        self.clients.discard(client)

    def for_organisations(self, org_ids: set[int]) -> list[Client]:
        return [c for c in self.clients if c.organisation_id is not None and c.organisation_id in org_ids]

    def broadcast(self, message: Message) -> None:
        for client in list(self.clients):
            client.send(message)

    def close_session(self, token_hash: str) -> None:
        for client in list(self.clients):
            if client.token_hash == token_hash:
                client.close()

    def close_all(self) -> None:
        for client in list(self.clients):
            client.close()


async def push_alert(pool: AsyncConnectionPool, hub: Hub, payload: str) -> None:
    """Handle one notification payload: {"alert_id", "patient_id", "event"}."""
    try:
        data = json.loads(payload)
        alert_id = int(data["alert_id"])
        event = str(data.get("event", "updated"))
    except (ValueError, KeyError, TypeError):
        log.warning("alert_notify_unreadable", payload=payload[:200])
        return
    async with pool.connection() as conn:
        row = await get_alert_unscoped(conn, alert_id)
        if row is None:
            log.warning("alert_notify_unknown_alert", alert_id=alert_id)
            return
        targets = hub.for_organisations({row["nursing_org_id"], row["gp_org_id"]})
        if not targets:
            return
        # The read is audited (and committed) before anyone sees it.
        for user_id in sorted({c.user_id for c in targets}):
            await record(conn, user_id, "alert.pushed", row["patient_id"], {"alert_id": alert_id, "event": event})
        await conn.commit()
        message = {"type": "alert", "event": event, "alert": to_json(row)}
        for client in targets:
            client.send(message)
    log.info("alert_pushed", alert_id=alert_id, alert_event=event, clients=len(targets))


async def listen(database_url: str, on_payload: Callable[[str], Awaitable[None]],
                 on_gap: Callable[[], None], listening: asyncio.Event) -> None:
    """LISTEN forever, reconnecting with backoff; cancel the task to stop."""
    delay = 0.5
    connected_before = False
    while True:
        try:
            conn = await psycopg.AsyncConnection.connect(database_url, autocommit=True)
            async with conn:
                await conn.execute(f"LISTEN {CHANNEL}")
                log.info("alert_listen_started", reconnect=connected_before)
                if connected_before:
                    on_gap()  # notifications may have been missed while away
                connected_before = True
                listening.set()
                delay = 0.5
                async for notification in conn.notifies():
                    try:
                        await on_payload(notification.payload)
                    except psycopg.Error as exc:
                        log.error("alert_push_failed", payload=notification.payload[:200], error=str(exc))
                        on_gap()
        except psycopg.OperationalError as exc:
            listening.clear()
            log.warning("alert_listen_lost", error=str(exc), retry_in_s=delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 15.0)
