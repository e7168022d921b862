"""`nearcare bench`: measurements on this machine (mounted by the main CLI)."""

from __future__ import annotations

from typing import Annotated

import typer

from nearcare import logs
from nearcare.settings import load

bench_app = typer.Typer(help="Benchmarks on this machine.", no_args_is_help=True)


@bench_app.command("ingest")
def bench_ingest(
    readings: Annotated[int, typer.Option(help="Readings in the end-to-end run.")] = 100_000,
    gateways: Annotated[int, typer.Option(help="Simulated gateways publishing them.")] = 20,
    per_message: Annotated[int, typer.Option(help="Readings per MQTT message.")] = 10,
    workers: Annotated[int, typer.Option(help="Ingest worker processes (one share group).")] = 1,
    batch_size: Annotated[int, typer.Option(help="Worker batch size (messages).")] = 1000,
    batch_wait_ms: Annotated[int, typer.Option(help="Worker batch wait.")] = 50,
    naive_readings: Annotated[int, typer.Option(help="Readings through the naive consumer.")] = 5_000,
    paced_rate: Annotated[float, typer.Option(help="Readings/s in the paced latency run.")] = 2_000.0,
    paced_seconds: Annotated[float, typer.Option(help="Length of the paced run.")] = 15.0,
    mqtt_url: Annotated[str | None, typer.Option(help="Broker to use; default NEARCARE_MQTT_URL, else a "
                                                      "private Mosquitto on a free port.")] = None,
    private_broker: Annotated[bool, typer.Option(help="Start a private Mosquitto even if a broker is "
                                                      "configured.")] = False,
    database_url: Annotated[str | None, typer.Option(help="PostgreSQL server on which a scratch database is "
                                                          "created and dropped; default NEARCARE_DATABASE_URL, "
                                                          "else the embedded PostgreSQL.")] = None,
    keep_database: Annotated[bool, typer.Option(help="Keep the scratch database.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Readings from simulated gateways through the broker into PostgreSQL: committed rows/s and
    publish→commit latency, beside a raw COPY of the same rows and a naive consumer."""
    from contextlib import ExitStack

    from ingest.bench import BenchConfig, run

    settings = load()
    logs.configure(settings.log_format)
    with ExitStack() as stack:
        server = database_url or settings.database_url
        if server is None:
            from nearcare.embedded_postgres import EmbeddedPostgres

            pg = EmbeddedPostgres(settings.data_dir / "bench-postgres")
            server = pg.start()
            stack.callback(pg.stop)
        broker = None if private_broker else (mqtt_url or settings.mqtt_url)
        cfg = BenchConfig(server, broker, readings=readings, gateways=gateways, per_message=per_message,
                          workers=workers, batch_size=batch_size, batch_wait_ms=batch_wait_ms,
                          naive_readings=naive_readings, paced_rate=paced_rate, paced_seconds=paced_seconds,
                          keep_database=keep_database)
        report = run(cfg, progress=lambda line: typer.echo(line, err=True))
    typer.echo(report.to_json() if as_json else report.table())
