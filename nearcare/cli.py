"""The `nearcare` command line."""

from __future__ import annotations

import contextlib
import json
import signal
import threading
from contextlib import ExitStack
from typing import Annotated

import typer

from nearcare import logs
from nearcare.settings import load

app = typer.Typer(help="nearcare: remote monitoring for people with chronic disease who live at home.",
                  no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
ingest_app = typer.Typer(help="Ingest workers: MQTT to the database.", no_args_is_help=True)
alerts_app = typer.Typer(help="The alert core.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(ingest_app, name="ingest")
app.add_typer(alerts_app, name="alerts")


def _mount() -> None:
    """Sub-commands that live beside their packages' command-line glue."""
    from nearcare.cli_bench import bench_app
    from nearcare.cli_bench_alerts import bench_alert_latency, bench_alerts_app
    from nearcare.cli_bench_gateway import bench_gateway
    from nearcare.cli_bench_web import bench_web
    from nearcare.cli_device import device_app
    from nearcare.cli_gateway import gateway_app
    from nearcare.cli_ingest import register as register_ingest
    from nearcare.cli_provision import provision_command

    register_ingest(ingest_app)
    app.add_typer(device_app, name="device")
    gateway_app.command("provision")(provision_command)
    app.add_typer(gateway_app, name="gateway")
    bench_app.command("gateway")(bench_gateway)
    bench_app.add_typer(bench_alerts_app, name="alerts")
    bench_app.command("alerts-latency")(bench_alert_latency)
    bench_app.command("web")(bench_web)
    app.add_typer(bench_app, name="bench")


_mount()


def _wait_for_signal() -> None:
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    done.wait()


@app.command()
def demo(
    history_days: Annotated[int, typer.Option(help="Days of past readings the kits upload at first start.")] = 30,
    live_interval: Annotated[float, typer.Option(help="Seconds between live patient measurements.")] = 15.0,
) -> None:
    """Run the whole platform with simulated home kits and print the URL and demo logins."""
    from nearcare import demo as demo_mod

    settings = load()
    logs.configure(settings.log_format)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C is how the demo is meant to end
        demo_mod.run(settings, history_days=history_days, live_interval_s=live_interval)


@db_app.command("migrate")
def db_migrate() -> None:
    """Apply pending schema migrations (needs NEARCARE_DATABASE_URL)."""
    from ingest.migrate import migrate

    settings = load()
    logs.configure(settings.log_format)
    if not settings.database_url:
        raise typer.BadParameter("set NEARCARE_DATABASE_URL")
    applied = migrate(settings.database_url)
    typer.echo(json.dumps({"applied": applied}))


@ingest_app.command("run")
def ingest_run(
    client_id: Annotated[str, typer.Option(help="MQTT client id; unique per worker.")] = "nearcare-ingest-1",
    metrics_port: Annotated[int | None, typer.Option(help="Serve Prometheus metrics on this port.")] = None,
) -> None:
    """Consume observations from the broker into the database until stopped."""
    from ingest.consumer import IngestConfig, IngestWorker

    settings = load()
    logs.configure(settings.log_format)
    if metrics_port is not None:
        from nearcare.metrics_server import serve_metrics

        serve_metrics(metrics_port)
    with ExitStack() as stack:
        from nearcare.stack import open_endpoints

        ends = open_endpoints(settings, stack)
        shared, check = settings.ingest_subscription(ends.embedded_broker)
        worker = IngestWorker(IngestConfig(ends.database_url, ends.mqtt_url, client_id=client_id,
                                           shared_subscription=shared, check_broker=check))
        worker.start()
        stack.callback(worker.stop)
        _wait_for_signal()


@alerts_app.command("run")
def alerts_run(
    metrics_port: Annotated[int | None, typer.Option(help="Serve Prometheus metrics on this port (/metrics).")] = None,
) -> None:
    """Evaluate committed readings and keep alerts up to date until stopped."""
    from alerts.worker import FREEZE_GC_S, AlertWorker

    settings = load()
    logs.configure(settings.log_format)
    if not settings.database_url:
        raise typer.BadParameter("set NEARCARE_DATABASE_URL")
    if metrics_port is not None:
        import alerts.metrics  # noqa: F401  (registers the alert worker's metrics before the first scrape)
        from nearcare.metrics_server import serve_metrics

        serve_metrics(metrics_port)
    worker = AlertWorker(settings.database_url, freeze_gc_s=FREEZE_GC_S)  # a process of its own
    worker.start()
    _wait_for_signal()
    worker.stop()


@app.command()
def web(
    host: Annotated[str | None, typer.Option(help="Interface to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Serve the clinician web app and API."""
    import uvicorn

    from clinician_ui.app import create_app

    settings = load()
    logs.configure(settings.log_format)
    if not settings.database_url:
        raise typer.BadParameter("set NEARCARE_DATABASE_URL")
    uvicorn.run(create_app(settings.database_url, secure_cookies=settings.secure_cookies),
                host=host or settings.http_host, port=port or settings.http_port, log_level="info")


@app.command()
def version() -> None:
    """Print the version."""
    from nearcare import __version__

    typer.echo(__version__)


def main() -> None:  # pragma: no cover
    app()


