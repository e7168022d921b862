"""A tiny local status page (http on 127.0.0.1, standard library only): the same plain words as
`nearcare gateway status`, for a nurse with a phone on the kit's network or a screen on the box."""

from __future__ import annotations

import html
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import structlog

log = structlog.get_logger(__name__)

Render = Callable[[], list[str]]

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="30">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>nearcare box</title>
<style>body{{font:1.2rem/1.5 system-ui,sans-serif;margin:2rem;max-width:40rem}}li{{margin:.4rem 0}}</style>
</head><body><h1>nearcare box</h1><ul>{items}</ul><p><small>Updates every 30 seconds.</small></p></body></html>
"""


def render_page(lines: list[str]) -> str:
    return _PAGE.format(items="".join(f"<li>{html.escape(line)}</li>" for line in lines))


def serve_status(host: str, port: int, render: Render) -> ThreadingHTTPServer:
    """Start serving in a daemon thread; ``/`` is the page, ``/status.json`` the same lines as JSON."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            try:
                lines = render()
            except Exception as exc:  # the page must say something even when the status cannot be read
                log.warning("status_page_failed", error=str(exc))
                lines = [f"Status not available: {exc}"]
            if self.path.startswith("/status.json"):
                body, kind = json.dumps({"lines": lines}).encode(), "application/json"
            elif self.path in ("/", "/index.html"):
                body, kind = render_page(lines).encode(), "text/html; charset=utf-8"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass  # the gateway's own structured log is enough

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="status-page", daemon=True).start()
    log.info("status_page_listening", url=f"http://{host}:{server.server_address[1]}/")
    return server
