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
