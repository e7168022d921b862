"""The clinician web app on a real socket (uvicorn in a thread), for end-to-end and browser tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from clinician_ui.app import create_app
from nearcare.ports import free_port, is_listening


@contextmanager
def serve(database_url: str) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(database_url, secure_cookies=False), host="127.0.0.1",
                                           port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not is_listening("127.0.0.1", port):
        if time.monotonic() > deadline:
            raise RuntimeError("web app did not start")
        time.sleep(0.05)
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
