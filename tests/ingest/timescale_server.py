"""A real TimescaleDB for tests: PGlite (WebAssembly PostgreSQL) with the timescaledb extension, served on a
local port by tests/ingest/pglite/serve.mjs. It takes one connection at a time (others wait in its queue),
so tests open one connection, use it, and close it. Every connection is the same backend session underneath:
server-side prepared statements would collide between connections, so none are made. COPY and pipelined
executemany crash this build."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

HERE = Path(__file__).parent / "pglite"


def _install() -> None:
    if (HERE / "node_modules" / "@unni-craftsman" / "pglite").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("node is installed but npm is not; cannot install the TimescaleDB test server")
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=HERE, check=True, timeout=600)


@contextmanager
def pglite_timescaledb(startup_timeout: float = 120) -> Iterator[str]:
    """Start the server on a free port; yields its URL and stops it afterwards."""
    node = shutil.which("node")
    assert node is not None
    _install()
    proc = subprocess.Popen([node, "serve.mjs"], cwd=HERE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={**os.environ, "NODE_OPTIONS": "--max-old-space-size=2048"})
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + startup_timeout
        port = None
        while port is None:
            line = proc.stdout.readline()
            if not line:
                raise RuntimeError(f"the PGlite server exited with {proc.wait()} before listening")
            if line.startswith("listening "):
                port = int(line.split()[1])
            if time.monotonic() > deadline:
                raise RuntimeError("the PGlite server did not start in time")
        # Keep reading its output so that a full pipe never blocks the server.
        threading.Thread(target=proc.stdout.read, daemon=True).start()
        # Any password does; the socket server does not check it, libpq just has to send one.
        yield (f"postgresql://postgres:nearcare@127.0.0.1:{port}/postgres"
               "?sslmode=disable&gssencmode=disable&connect_timeout=120")
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def connect(url: str, *, autocommit: bool = True) -> psycopg.Connection:
    conn = psycopg.connect(url, autocommit=autocommit)
    conn.prepare_threshold = None
    return conn
