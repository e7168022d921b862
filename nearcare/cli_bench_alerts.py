"""`nearcare bench alerts`: alert quality on a simulated cohort, our rules beside the plain guideline rules."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from alerts.evaluation.bench import DEFAULT_SEED, run_alert_bench

bench_alerts_app = typer.Typer(help="Alert quality on a simulated cohort (sensitivity, lead time, false alerts).")


@bench_alerts_app.callback(invoke_without_command=True)
def alerts(
    patients: Annotated[int, typer.Option(help="Simulated patients.")] = 320,
    days: Annotated[int, typer.Option(help="Days per patient.")] = 90,
    seed: Annotated[int, typer.Option(help="Cohort seed; the report in docs uses the default.")] = DEFAULT_SEED,
    workers: Annotated[int, typer.Option(help="Processes (0 = one per CPU, at most 8).")] = 0,
    markdown: Annotated[Path | None, typer.Option(help="Also write the table to this file.")] = None,
) -> None:
    """Generate the cohort, replay every rule day by day, and print the figures per condition."""
    def progress(done: int, total: int) -> None:
        typer.echo(f"  {done}/{total} patients", err=True)

    report = run_alert_bench(patients, days, seed, workers or None, progress)
    table = report.markdown()
    typer.echo(f"cohort: {report.patients} patients x {report.days} days, seed {report.seed}, "
               f"episodes {report.episodes}, {report.seconds:.0f} s")
    typer.echo(table)
    typer.echo("alerts per patient-month by rule (ours):")
    for rule, rate in report.by_rule.items():
        typer.echo(f"  {rule:40s} {rate:.2f}")
    if markdown is not None:
        markdown.write_text(table, encoding="utf-8")


def bench_alert_latency(
    patients: Annotated[int, typer.Option(help="Patients the readings are spread over.")] = 2000,
    rate: Annotated[float, typer.Option(help="Readings committed per second.")] = 2000.0,
    seconds: Annotated[float, typer.Option(help="Length of each run.")] = 30.0,
    abnormal: Annotated[float, typer.Option(help="Share of readings with a red value.")] = 0.01,
    workers: Annotated[str, typer.Option(help="Comma-separated worker process counts to run.")] = "1,2",
    baseline: Annotated[bool, typer.Option(help="Also run the threshold rule alone (baseline).")] = True,
    database_url: Annotated[str | None, typer.Option(
        help="PostgreSQL server on which a scratch database is created and dropped; default NEARCARE_DATABASE_URL."
    )] = None,
) -> None:
    """Commit → alert-row latency (p50/p99) with 1 and 2 alert workers at a fixed reading rate, beside the
    threshold rule alone."""
    import contextlib
    import uuid
    from urllib.parse import urlsplit, urlunsplit

    import psycopg
    from psycopg import sql

    from alerts.evaluation.latency import LatencyConfig, run_one, seed, table
    from ingest.migrate import migrate
    from nearcare import logs
    from nearcare.settings import load

    settings = load()
    logs.configure(settings.log_format)
    server = database_url or settings.database_url
    if not server:
        raise typer.BadParameter("set NEARCARE_DATABASE_URL or --database-url")
    cfg = LatencyConfig(patients=patients, rate=rate, seconds=seconds, abnormal=abnormal)
    runs = []
    for n in (int(x) for x in workers.split(",") if x.strip()):
        for trends in (True, False) if baseline else (True,):
            name = f"nc_bench_alerts_{uuid.uuid4().hex[:10]}"
            parts = urlsplit(server)
            url = urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))
            with psycopg.connect(server, autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            try:
                with contextlib.redirect_stdout(None):
                    migrate(url)
                typer.echo(f"seeding {patients} patients ({'all rules' if trends else 'threshold only'}, "
                           f"{n} worker(s))", err=True)
                plan = seed(url, cfg)
                runs.append(run_one(url, cfg, plan, n, trends, "all rules" if trends else "threshold only"))
                typer.echo(table(runs[-1:], cfg), err=True)
            finally:
                with psycopg.connect(server, autocommit=True) as conn:
                    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    typer.echo(f"{rate:,.0f} readings/s for {seconds:g} s over {patients} patients, {abnormal:.0%} red values")
    typer.echo(table(runs, cfg))
