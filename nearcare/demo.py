"""`nearcare demo`: the whole platform on one machine — database, broker, kits, ingest, alerts, web."""

from __future__ import annotations

import asyncio
import socket
import time
from contextlib import ExitStack
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import psycopg
import structlog
import uvicorn

from alerts.worker import AlertWorker
from clinician_ui.app import create_app
from gateway.sim.devices import KINDS
from ingest.consumer import IngestConfig, IngestWorker
from ingest.migrate import migrate
from nearcare import seed
from nearcare.cohort import cohort
from nearcare.kits import KitFleet
from nearcare.ports import free_port
from nearcare.settings import Settings
from nearcare.stack import open_endpoints

log = structlog.get_logger(__name__)


def _http_port(host: str, wanted: int) -> int:
    if wanted == 0:
        return free_port(host)
    with socket.socket() as s:
        try:
            s.bind((host, wanted))
            return wanted
        except OSError:
            return free_port(host)


def banner(url: str, logins: list[seed.Login], embedded: bool) -> str:
    lines = ["", "=" * 64, "  nearcare is running", f"  Open {url} in a browser", "",
             "  Demo logins (username / password):"]
    lines += [f"    {x.username:<14} {x.password:<16} {x.display_name}" for x in logins]
    if embedded:
        lines.append("  Database and broker: embedded (data kept in the data directory)")
    lines += ["  Press Ctrl-C to stop.", "=" * 64, ""]
    return "\n".join(lines)


class _Server(uvicorn.Server):
    """Prints the banner only once the web app really listens."""

    banner = ""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            print(self.banner, flush=True)


def replay_history(fleet: KitFleet, database_url: str) -> None:
    """First start: the weeks before today reach the platform day by day, each reading a minute or two after
    it was taken; then what the team handled in those weeks is resolved, so the first look is today's."""
    started = time.monotonic()
    log.info("demo_history_replaying", days=fleet.history_days, kits=len(fleet.kits))
    with psycopg.connect(database_url) as conn:
        mark = seed.db_clock(conn)

        def settled(day: date, readings: int) -> None:
            nonlocal mark
            if not seed.wait_taken_in(conn, readings):
                log.warning("demo_history_day_not_settled", day=day.isoformat(), readings=readings)
            seed.date_normalised(conn, mark)
            mark = seed.db_clock(conn)

        samples, readings = fleet.replay_history(settled)
        before = datetime.now(UTC) - seed.HANDLED_BEFORE
        handled = asyncio.run(seed.handle_past_alerts(database_url, before))
        seed.date_history(conn, handled)
    log.info("demo_history_loaded", days=fleet.history_days, samples=samples, readings=readings,
             handled_alerts=len(handled), seconds=round(time.monotonic() - started, 1))


def run(settings: Settings, *, history_days: int = 30, live_interval_s: float = 15.0) -> None:
    tz = ZoneInfo(settings.timezone)
    with ExitStack() as stack:
        ends = open_endpoints(settings, stack)
        migrate(ends.database_url)
        patients = cohort(set(KINDS))
        logins_file = settings.data_dir / "demo-logins.txt"
        with psycopg.connect(ends.database_url) as conn:
            first_run = not seed.is_seeded(conn)
            if first_run:
                logins = seed.seed(conn, patients, history_days, tz)
                seed.save_logins(logins_file, logins)
        logins = seed.read_logins(logins_file)
        shared, check = settings.ingest_subscription(ends.embedded_broker)
        ingest = IngestWorker(IngestConfig(ends.database_url, ends.mqtt_url, shared_subscription=shared,
                                           check_broker=check))
        ingest.start()
        stack.callback(ingest.stop)
        alerts = AlertWorker(ends.database_url)
        alerts.start()
        stack.callback(alerts.stop)
        fleet = KitFleet(patients, ends.mqtt_url, settings.data_dir, tz, history_days=history_days,
                         live_interval_s=live_interval_s)
        ingest.wait_subscribed()
        fleet.connect()
        stack.callback(fleet.stop)
        if first_run:
            replay_history(fleet, ends.database_url)
        fleet.start()
        port = _http_port(settings.http_host, settings.http_port)
        app = create_app(ends.database_url, secure_cookies=settings.secure_cookies)
        server = _Server(uvicorn.Config(app, host=settings.http_host, port=port, log_level="warning",
                                        lifespan="on"))
        server.banner = banner(f"http://{settings.http_host}:{port}/", logins, ends.embedded_database)
        server.run()
        log.info("demo_stopping")
