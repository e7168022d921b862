"""`nearcare gateway provision`: a broker account, ACL entry, database row and credentials file for one kit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from nearcare import logs
from nearcare.settings import load


def provision_command(
    gateway_id: Annotated[str | None, typer.Option(
        "--gateway-id", help="The kit's id (also its broker user name); a new kit-xxxxxxxx when left out.")] = None,
    broker_url: Annotated[str, typer.Option(
        help="How the kit reaches the broker, without credentials, e.g. mqtts://mqtt.example.org:8883.")]
        = "mqtts://localhost:8883",
    config_dir: Annotated[Path, typer.Option(
        help="Where Mosquitto's passwd and acl files live.")] = Path("deploy/mosquitto"),
    kit_dir: Annotated[Path, typer.Option(
        help="Where the kit's credentials file is written (<gateway id>.env, mode 0600).")] = Path("kits"),
    label: Annotated[str | None, typer.Option(help="A label for the kit, e.g. its serial number.")] = None,
    organisation_id: Annotated[int | None, typer.Option(help="The organisation that owns the kit.")] = None,
    ingest_user: Annotated[str, typer.Option(help="The ingest workers' broker account.")] = "ingest",
    no_database: Annotated[bool, typer.Option(
        "--no-database", help="Only write the broker files and the kit file; do not register the kit.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Create a kit's broker identity (or give an existing kit a new password).

    Writes CONFIG_DIR/passwd and CONFIG_DIR/acl, registers the kit in the database (NEARCARE_DATABASE_URL)
    and writes KIT_DIR/<gateway id>.env for the kit. Reload the broker afterwards (SIGHUP) to apply it.
    """
    from gateway.provision import ProvisionError, provision

    settings = load()
    logs.configure(settings.log_format)
    database_url = None if no_database else settings.database_url
    if not no_database and not database_url:
        raise typer.BadParameter("set NEARCARE_DATABASE_URL, or pass --no-database")
    try:
        done = provision(config_dir, kit_dir, broker_url, gateway_id=gateway_id, database_url=database_url,
                         label=label, organisation_id=organisation_id, ingest_user=ingest_user)
    except ProvisionError as exc:
        raise typer.BadParameter(str(exc)) from exc
    result = {"gateway_id": done.credentials.gateway_id, "kit_file": str(done.kit_file),
              "passwd_file": str(done.passwd_file), "acl_file": str(done.acl_file),
              "registered": done.new_in_database}
    if as_json:
        typer.echo(json.dumps(result))
        return
    typer.echo(f"gateway {result['gateway_id']}: credentials in {result['kit_file']} (copy it to the kit; "
               f"the password is not shown again)")
    typer.echo(f"broker files updated: {result['passwd_file']}, {result['acl_file']} — reload the broker "
               f"(docker compose kill -s HUP mqtt)")
