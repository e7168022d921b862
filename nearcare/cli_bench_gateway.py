"""`nearcare bench gateway`: the home gateway's memory, CPU per reading and outbox drain rate (mounted by the
main CLI under `nearcare bench`)."""

from __future__ import annotations

import json
from contextlib import ExitStack
from dataclasses import asdict
from typing import Annotated

import typer

from nearcare import logs
from nearcare.settings import load


def bench_gateway(
    seconds: Annotated[float, typer.Option(help="Length of the memory run with six simulated devices.")] = 120.0,
    readings: Annotated[int, typer.Option(help="Synthetic outbox backlog drained to the broker.")] = 50_000,
    mqtt_url: Annotated[str | None, typer.Option(help="Broker to use; default NEARCARE_MQTT_URL, else a private "
                                                      "Mosquitto on a free port.")] = None,
    private_broker: Annotated[bool, typer.Option(help="Start a private Mosquitto even if a broker is "
                                                      "configured (keeps bench traffic away from ingest "
                                                      "workers on the shared one).")] = False,
    memory: Annotated[bool, typer.Option(help="Run the memory/CPU part.")] = True,
    drain: Annotated[bool, typer.Option(help="Run the drain part.")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Gateway RSS (target ≤ 60 MB) and CPU per reading with six simulated devices, and the outbox drain rate
    after two days offline, beside an idle Python process and a raw paho publish loop."""
    from gateway.bench import run

    settings = load()
    logs.configure(settings.log_format)
    with ExitStack() as stack:
        url = None if private_broker else (mqtt_url or settings.mqtt_url)
        if url is None:
            from ingest.bench_load import private_mosquitto

            url = stack.enter_context(private_mosquitto())
        typer.echo(f"gateway bench against {url.split('@')[-1]} ...", err=True)
        report = run(url, seconds=seconds, readings=readings, memory=memory, drain=drain)
    if as_json:
        typer.echo(json.dumps(asdict(report), indent=2))
        return
    m = report.machine
    typer.echo(f"machine: {m['cpu']} ({m['cpus']} CPUs), {m['system']}, Python {m['python']}")
    if report.memory:
        r = report.memory
        typer.echo(f"memory: {r.devices} devices, {r.seconds:.0f} s, {r.readings} readings: RSS start "
                   f"{r.rss_start_mb:.1f} MB, steady {r.rss_steady_mb:.1f} MB, max {r.rss_max_mb:.1f} MB "
                   f"(idle Python {r.idle_python_rss_mb:.1f} MB); CPU {r.cpu_ms_per_reading:.2f} ms/reading")
    if report.drain:
        d = report.drain
        typer.echo(f"drain: two days of six devices = {d.two_day_backlog} readings; {d.readings} synthetic: "
                   f"gateway {d.gateway_readings_per_s:,.0f}/s unbounded, {d.bounded_readings_per_s:,.0f}/s with "
                   f"the default bound; raw paho loop {d.raw_paho_readings_per_s:,.0f}/s")
