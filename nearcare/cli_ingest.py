"""`nearcare ingest` commands for quarantine: replay after a fix, and counts by reason for the admin."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer

from nearcare import logs
from nearcare.settings import load


def _database_url() -> str:
    settings = load()
    logs.configure(settings.log_format)
    if not settings.database_url:
        raise typer.BadParameter("set NEARCARE_DATABASE_URL")
    return settings.database_url


def replay_quarantine(
    days: Annotated[int | None, typer.Option(help="Only messages quarantined in the last N days.")] = None,
    kind: Annotated[str | None, typer.Option(help="Only this kind of reason, e.g. unassigned_kit.")] = None,
    ids: Annotated[list[int] | None, typer.Option("--id", help="Only these quarantine ids (repeatable).")] = None,
    dry_run: Annotated[bool, typer.Option(help="Show what would happen; change nothing.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Re-run quarantined messages through the pipeline after a fix (e.g. a kit assigned later)."""
    import psycopg

    from ingest.replay import replay_quarantine as replay

    with psycopg.connect(_database_url()) as conn:
        report = replay(conn, days=days, kind=kind, ids=ids or None, dry_run=dry_run)
    if as_json:
        typer.echo(json.dumps(asdict(report)))
        return
    prefix = "would store" if dry_run else "stored"
    typer.echo(f"examined {report.examined} quarantined messages: {report.replayed} replayed, "
               f"{prefix} {report.stored} observations ({report.duplicates} already stored), "
               f"{report.still_bad} still bad, {report.split_off} parts quarantined anew")
    for reason, n in sorted(report.reasons.items(), key=lambda kv: -kv[1]):
        typer.echo(f"  still bad: {reason:<16} {n}")


def quarantine_counts(
    days: Annotated[int, typer.Option(help="Period in days.")] = 7,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Quarantined messages of the last N days by kind of reason."""
    import psycopg

    from ingest.replay import quarantine_summary

    with psycopg.connect(_database_url()) as conn:
        counts = quarantine_summary(conn, days)
    if as_json:
        typer.echo(json.dumps([{**asdict(c), "last_at": c.last_at.isoformat()} for c in counts]))
        return
    typer.echo(f"{'kind':<16} {'total':>7} {'pending':>8}  last")
    for c in counts:
        typer.echo(f"{c.kind:<16} {c.total:>7} {c.pending:>8}  {c.last_at:%Y-%m-%d %H:%M}  {c.example[:60]}")


def register(ingest_app: typer.Typer) -> None:
    """Add these commands to the `nearcare ingest` group."""
    ingest_app.command("replay-quarantine")(replay_quarantine)
    ingest_app.command("quarantine")(quarantine_counts)
