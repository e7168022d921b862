"""A Prometheus scrape endpoint for worker processes (ingest, alerts, gateway) that serve no HTTP of their own."""

from __future__ import annotations

import threading
from wsgiref.simple_server import WSGIServer

import structlog
from prometheus_client import REGISTRY, CollectorRegistry, start_http_server

log = structlog.get_logger(__name__)


def serve_metrics(port: int, addr: str = "0.0.0.0",
                  registry: CollectorRegistry = REGISTRY) -> tuple[WSGIServer, threading.Thread]:
    """Serve `registry` at http://addr:port/metrics from a daemon thread; port 0 picks a free port.

    Returns the server and its thread: `server.server_port` is the port bound, `server.shutdown()` stops it.
    """
    server, thread = start_http_server(port, addr=addr, registry=registry)
    log.info("metrics_server_started", addr=addr, port=server.server_port)
    return server, thread
