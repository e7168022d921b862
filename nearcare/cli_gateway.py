"""`nearcare gateway`: the home box. Find devices, enrol them, run the gateway, and say in plain words how
the kit is doing."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from nearcare import logs
from nearcare.settings import load

if TYPE_CHECKING:
    from gateway.config import GatewayConfig

gateway_app = typer.Typer(help="The home gateway: scan, pair, run, status.", no_args_is_help=True)

ConfigOption = Annotated[Path | None, typer.Option(
    "--config", help="Kit config file [default: $NEARCARE_GATEWAY_CONFIG or /etc/nearcare/gateway.toml].")]


def _fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code=code)


def _load(config: Path | None) -> GatewayConfig:
    from gateway.config import ConfigError, config_path, load_config

    try:
        return load_config(config_path(config))
    except ConfigError as exc:
        raise _fail(str(exc)) from exc


@gateway_app.command("scan")
def scan_command(
    seconds: Annotated[float, typer.Option(help="How long to listen.")] = 10.0,
    config: ConfigOption = None,
    simulate: Annotated[bool, typer.Option(help="List simulated devices of every kind instead of the radio.")]
        = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
) -> None:
    """List devices advertising nearby and which profile each matches (press the device's button first)."""
    from zoneinfo import ZoneInfo

    from device_profiles.profiles import profile_for_advertisement
    from gateway.config import ConfigError, config_path, load_config
    from gateway.transport import Transport

    logs.configure(load().log_format)
    try:
        enrolled = {d.address for d in load_config(config_path(config)).devices}
    except ConfigError:
        enrolled = set()
    transport: Transport
    if simulate:
        from gateway.sim.devices import KINDS, SimulatedDevice
        from gateway.sim.radio import SimulatedRadio

        devices = [SimulatedDevice(f"C0:4E:30:00:00:{i:02X}", k, awake=True) for i, k in enumerate(KINDS.values())]
        transport = SimulatedRadio(devices, ZoneInfo("UTC"))
    else:
        from gateway.ble_bleak import BleakTransport

        transport = BleakTransport()
    found = asyncio.run(transport.scan(seconds))
    if not found and not as_json:
        typer.echo("No devices heard. Wake the device (take a measurement or press its Bluetooth button) "
                   "and scan again.")
    for ad in sorted(found, key=lambda a: -(a.rssi or -999)):
        profile = profile_for_advertisement(ad.name, ad.service_uuids)
        row = {"address": ad.address, "name": ad.name, "rssi": ad.rssi, "profile": profile.id if profile else None,
               "enrolled": ad.address in enrolled}
        if as_json:
            typer.echo(json.dumps(row))
            continue
        what = f"{profile.id} ({profile.manufacturer} {profile.model})" if profile else "no profile: not supported"
        mark = "  [enrolled]" if row["enrolled"] else ""
        typer.echo(f"{ad.address}  {ad.rssi or '':>4} dBm  {ad.name or '(no name)':<24} {what}{mark}")


@gateway_app.command("pair")
def pair_command(
    address: Annotated[str, typer.Argument(help="The device's Bluetooth address, as `scan` shows it.")],
    profile: Annotated[str, typer.Option("--profile", help="Profile id, e.g. and_ua651ble (see `scan`).")],
    label: Annotated[str, typer.Option(help="What the nurse calls it, e.g. 'Scale in the bathroom'.")] = "",
    config: ConfigOption = None,
    connect: Annotated[bool, typer.Option(help="Connect (and bond when the profile needs it) before enrolling; "
                                               "--no-connect only writes the config.")] = True,
    gateway_id: Annotated[str | None, typer.Option(help="Gateway id for a new config (else from the "
                                                        "credentials file).")] = None,
    mqtt_url: Annotated[str | None, typer.Option(help="Broker URL for a new config (else from the "
                                                      "credentials file).")] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Outbox and status directory for a new config.")] = None,
) -> None:
    """Enrol a device in this kit: bond with it when its profile needs that, then add it to the kit config."""
    from pydantic import ValidationError

    from device_profiles.profiles import ProfileError, load_profile
    from gateway.config import ConfigError, Enrolled, GatewayConfig, config_path, load_config, save_config

    logs.configure(load().log_format)
    path = config_path(config)
    try:
        device = Enrolled(address=address, profile=profile, label=label)
        kit = load_config(path) if path.exists() else GatewayConfig(gateway_id=gateway_id, mqtt_url=mqtt_url)
    except ValidationError as exc:
        raise _fail(str(exc.errors()[0]["msg"]).removeprefix("Value error, "), 2) from exc
    except ConfigError as exc:
        raise _fail(str(exc), 2) from exc
    if data_dir is not None:
        kit.data_dir = data_dir
    try:
        bonding = load_profile(profile).bonding_required
    except ProfileError as exc:  # pragma: no cover - Enrolled checked it
        raise _fail(str(exc), 2) from exc
    if connect:
        from gateway.ble_bleak import BleakTransport
        from gateway.transport import LinkLost

        async def bond() -> None:
            transport = BleakTransport([device.address], adapter=kit.adapter)
            await transport.scan(10.0)
            link = await transport.connect(device.address, pair=bonding, timeout=20.0)
            await link.disconnect()

        try:
            asyncio.run(bond())
        except (LinkLost, OSError, TimeoutError) as exc:
            raise _fail(f"Could not reach {device.address}: {exc}\nWake the device (take a measurement or hold its "
                        "Bluetooth button) and run pair again. Passkey devices: see docs/gateway.md.") from exc
    kit.enrol(device)
    save_config(path, kit)
    typer.echo(f"Enrolled {device.address} as {profile}{' (bonded)' if connect and bonding else ''} in {path}. "
               "Restart the gateway to read it: sudo systemctl restart nearcare-gateway")


@gateway_app.command("run")
def run_command(
    config: ConfigOption = None,
    simulate: Annotated[bool, typer.Option(help="Simulated devices at the enrolled addresses, no radio "
                                                "(bench, demo, tests).")] = False,
    measure_every: Annotated[float, typer.Option(help="With --simulate: a simulated patient measures every N "
                                                      "seconds (0: never).")] = 0.0,
    scenario: Annotated[str, typer.Option(help="With --simulate: the patient's clinical scenario.")] = "stable",
    metrics_port: Annotated[int | None, typer.Option(help="Serve Prometheus metrics on this port.")] = None,
) -> None:
    """Run the gateway until stopped: read enrolled devices, keep readings in the outbox, upload them."""
    from gateway import service

    logs.configure(load().log_format)
    if metrics_port is not None:
        from nearcare.metrics_server import serve_metrics

        serve_metrics(metrics_port)
    kit = _load(config)
    try:
        kit.connection()
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    service.run(kit, simulate=simulate, measure_every_s=measure_every, scenario=scenario)


@gateway_app.command("status")
def status_command(
    config: ConfigOption = None,
    lang: Annotated[str, typer.Option(help="en or da.")] = "en",
    as_json: Annotated[bool, typer.Option("--json", help="The raw status file and outbox depth as JSON.")]
        = False,
) -> None:
    """How the kit is doing, in plain words: connection, last upload, each device, readings waiting."""
    from gateway.health import outbox_depth, read_status
    from gateway.service import status_lines

    kit = _load(config)
    if as_json:
        typer.echo(json.dumps({"status": read_status(kit.status_path), "outbox_depth": outbox_depth(kit.outbox_path),
                               "lines": status_lines(kit, lang)}, indent=2, default=str))
        return
    for line in status_lines(kit, lang):
        typer.echo(line)


if __name__ == "__main__":  # `python -m nearcare.cli_gateway`, before the command is mounted
    gateway_app()
