"""Prometheus metrics of the web app: requests by route template, websocket clients, open alerts by severity
and time to acknowledge. Definitions live in the process-wide default registry."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import psycopg
from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SEVERITIES = ("red", "yellow", "review")

REQUESTS = Counter("nearcare_http_requests_total", "HTTP requests answered, by route template and status.",
                   ["method", "route", "status"])
LATENCY = Histogram("nearcare_http_request_duration_seconds", "Time to answer an HTTP request.",
                    ["method", "route"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))
WEBSOCKET_CLIENTS = Gauge("nearcare_websocket_clients", "Live alert websocket clients connected to this process.")
OPEN_ALERTS = Gauge("nearcare_alerts_open", "Alerts not yet resolved, by severity.", ["severity"])
TIME_TO_ACKNOWLEDGE = Histogram(
    "nearcare_alert_time_to_acknowledge_seconds", "From an alert opening to its acknowledgement.",
    buckets=(60, 300, 600, 900, 1800, 3600, 2 * 3600, 4 * 3600, 12 * 3600, 24 * 3600, 72 * 3600),
)
CONTENT_TYPE = CONTENT_TYPE_LATEST


def route_template(scope: Scope) -> str:
    """The matched route's path template (`/api/patients/{patient_id}`), never the raw path, so that ids do not
    become label values."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) and path else "unmatched"


class MetricsMiddleware:
    """Counts and times every HTTP request; websockets are counted by the hub instead."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500
        started = time.perf_counter()

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        finally:
            route, method = route_template(scope), scope.get("method", "")
            REQUESTS.labels(method, route, str(status)).inc()
            LATENCY.labels(method, route).observe(time.perf_counter() - started)


def instrument(app: FastAPI) -> None:
    """Install the request metrics and start the acknowledgement watermark at app creation."""
    app.add_middleware(MetricsMiddleware)
    app.state.metrics_ack_since = datetime.now(UTC)


async def refresh_from_database(app: FastAPI, conn: psycopg.AsyncConnection) -> None:
    """Bring the database-backed metrics up to date at scrape time (two indexed queries)."""
    cur = await conn.execute("SELECT severity, count(*) FROM alerts WHERE status <> 'resolved' GROUP BY severity")
    counts = {str(sev): int(n) for sev, n in await cur.fetchall()}
    for severity in sorted(set(SEVERITIES) | set(counts)):
        OPEN_ALERTS.labels(severity).set(counts.get(severity, 0))
    # Each acknowledgement is observed once per process: everything acknowledged after the last scrape's
    # newest one. An acknowledgement committed late with an earlier time stamp can be missed; it is a metric.
    since: datetime = getattr(app.state, "metrics_ack_since", datetime.now(UTC))
    cur = await conn.execute(
        "SELECT extract(epoch FROM acknowledged_at - opened_at), acknowledged_at FROM alerts"
        " WHERE acknowledged_at > %s ORDER BY acknowledged_at", (since,))
    for seconds, at in await cur.fetchall():
        TIME_TO_ACKNOWLEDGE.observe(max(float(seconds), 0.0))
        since = max(since, at)
    app.state.metrics_ack_since = since


def exposition() -> bytes:
    return bytes(generate_latest(REGISTRY))
