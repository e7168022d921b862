"""`nearcare device`: look at what a device profile makes of raw characteristic bytes."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from device_profiles.codes import CODES
from device_profiles.decoders import short_id
from device_profiles.profiles import ProfileError, all_profiles, load_profile
from device_profiles.reading import DecodedReading, DecodeError

device_app = typer.Typer(
    help="Device profiles and decoders: list profiles, decode raw characteristic bytes.", no_args_is_help=True
)


def reading_as_json(reading: DecodedReading, profile_id: str) -> dict[str, Any]:
    return {
        "profile": profile_id,
        "characteristic": reading.characteristic,
        "device_time": reading.device_time.isoformat() if reading.device_time else None,
        "user_index": reading.user_index,
        "sequence": reading.sequence,
        "flags": list(reading.flags),
        "measurements": [
            {
                "code": m.code,
                "loinc": CODES[m.code].loinc or None,
                "npu": CODES[m.code].npu,
                "name": CODES[m.code].name_en,
                "value": m.value,
                "unit": m.unit,
                "no_value_reason": m.no_value_reason,
            }
            for m in reading.measurements
        ],
    }


def _fail(message: str) -> typer.Exit:
    typer.echo(message, err=True)
    return typer.Exit(code=2)


@device_app.command("decode")
def decode_command(
    profile: Annotated[str, typer.Argument(help="Profile id, e.g. and_ua651ble (see `profiles`).")],
    characteristic: Annotated[str, typer.Argument(help="Characteristic id, e.g. 2a35.")],
    hex_bytes: Annotated[
        str, typer.Argument(metavar="HEX", help="The value as hex; spaces and colons allowed.")
    ],
) -> None:
    """Decode one characteristic value as PROFILE's device would send it, and print it as JSON."""
    try:
        device = load_profile(profile)
    except ProfileError as exc:
        raise _fail(str(exc)) from exc
    spec = device.characteristic(characteristic)
    if spec is None:
        listed = ", ".join(c.uuid for c in device.characteristics)
        raise _fail(
            f"profile {device.id} has no characteristic {short_id(characteristic) or characteristic!r}; "
            f"it lists: {listed}"
        )
    try:
        data = bytes.fromhex(hex_bytes.replace(" ", "").replace(":", ""))
    except ValueError as exc:
        raise _fail(f"HEX is not hexadecimal bytes: {exc}") from exc
    try:
        reading = spec.decode(data)
    except DecodeError as exc:
        raise _fail(f"cannot decode: {exc}") from exc
    typer.echo(json.dumps(reading_as_json(reading, device.id), indent=2, ensure_ascii=False))


@device_app.command("profiles")
def profiles_command() -> None:
    """List the shipped device profiles."""
    for p in all_profiles():
        chars = ", ".join(f"{c.uuid}:{c.decoder}" for c in p.characteristics)
        typer.echo(f"{p.id}\t{p.kind}\t{p.manufacturer} {p.model}\t{chars}")
