"""Small SQL seeding helpers for the clinician app tests: organisations, users, patients, readings, alerts."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg.types.json import Jsonb

from clinician_ui.accounts import create_user
from device_profiles.codes import CODES

PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class World:
    nursing_org: int
    gp_org: int
    other_org: int
    nurse: str
    gp: str
    outsider: str
    patient_id: int
    other_patient_id: int


def org(conn: psycopg.Connection, name: str, kind: str) -> int:
    row = conn.execute("INSERT INTO organisations (name, kind) VALUES (%s, %s) RETURNING id",
                       (name, kind)).fetchone()
    assert row
    return int(row[0])


def patient(conn: psycopg.Connection, name: str, nursing_org: int, gp_org: int,
            conditions: list[str] | None = None, birth_year: int = 1944) -> int:
    row = conn.execute(
        "INSERT INTO patients (display_name, birth_year, nursing_org_id, gp_org_id, conditions)"
        " VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (name, birth_year, nursing_org, gp_org, conditions or []),
    ).fetchone()
    assert row
    return int(row[0])


def observation(conn: psycopg.Connection, patient_id: int, loinc: str, value: float, unit: str,
                measured_at: datetime, flags: list[str] | None = None) -> None:
    conn.execute(
        "INSERT INTO observations (id, patient_id, code, value, unit, measured_at, received_at, flags)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
        (uuid.uuid4(), patient_id, loinc, value, unit, measured_at, measured_at, flags or []),
    )


def alert(conn: psycopg.Connection, patient_id: int, *, code: str = "bp_systolic", loinc: str = "8480-6",
          severity: str = "red", value: float = 186, bound: float = 179, unit: str = "mm[Hg]",
          observed_at: datetime | None = None, opened_at: datetime | None = None, rule: str = "threshold",
          side: str | None = None, notify: bool = False) -> int:
    """Insert an alert the way the alert core does (and optionally send its NOTIFY; commit to deliver)."""
    side = side or ("high" if value > bound else "low")
    observed_at = observed_at or datetime.now(UTC) - timedelta(minutes=12)
    explanation = {
        "rule": rule, "code": code, "loinc": loinc, "severity": severity, "side": side, "bound": bound,
        "value": value, "unit": unit, "observed_at": observed_at.isoformat(),
        "values": [{"at": observed_at.isoformat(), "value": value}],
        "text": _text(code, value, bound, unit, severity, side),
    }
    row = conn.execute(
        "INSERT INTO alerts (patient_id, rule, code, severity, observed_at, value, explanation, opened_at)"
        " VALUES (%s, %s, %s, %s, %s, %s, %s, coalesce(%s, now())) RETURNING id",
        (patient_id, rule, code, severity, observed_at, value, Jsonb(explanation), opened_at),
    ).fetchone()
    assert row
    alert_id = int(row[0])
    if notify:
        send_notify(conn, alert_id, patient_id, "opened")
    return alert_id


def _text(code: str, value: float, bound: float, unit: str, severity: str, side: str) -> dict[str, str]:
    c = CODES[code]
    shown = {"mm[Hg]": "mmHg", "mmol/L": "mmol/l"}.get(unit, unit)
    da_value, da_bound = f"{value:g}".replace(".", ","), f"{bound:g}".replace(".", ",")
    da_side, en_side = ("over", "above") if side == "high" else ("under", "below")
    da_sev, en_sev = ("røde", "red") if severity == "red" else ("gule", "yellow")
    return {"da": f"{c.name_da} {da_value} {shown} er {da_side} den {da_sev} grænse {da_bound}.",
            "en": f"{c.name_en} {value:g} {unit} is {en_side} the {en_sev} limit {bound:g}."}


def send_notify(conn: psycopg.Connection, alert_id: int, patient_id: int, event: str) -> None:
    payload = json.dumps({"alert_id": alert_id, "patient_id": patient_id, "event": event})
    conn.execute("SELECT pg_notify('nearcare_alerts', %s)", (payload,))


def world(database_url: str) -> World:
    """Two organisations that share a patient (nursing team + GP practice) and an unrelated one."""
    with psycopg.connect(database_url) as conn:
        nursing = org(conn, "Hjemmesygeplejen Nord", "nursing_team")
        gp = org(conn, "Lægehuset Havnegade", "gp_practice")
        other = org(conn, "Hjemmesygeplejen Syd", "nursing_team")
        create_user(conn, username="nurse", password=PASSWORD, display_name="Hanne Sygeplejerske",
                    role="nurse", organisation_id=nursing)
        create_user(conn, username="gp", password=PASSWORD, display_name="Dr. Lars Læge", role="gp",
                    organisation_id=gp, locale="en")
        create_user(conn, username="outsider", password=PASSWORD, display_name="Ole Udenfor",
                    role="nurse", organisation_id=other)
        pid = patient(conn, "Inger Jensen", nursing, gp, ["heart_failure", "copd"])
        other_pid = patient(conn, "Poul Hansen", other, other, ["diabetes"])
        now = datetime.now(UTC)
        for day in range(20):
            at = now - timedelta(days=day, hours=3)
            observation(conn, pid, "8480-6", 150 + day % 7 * 5, "mm[Hg]", at)
            observation(conn, pid, "59408-5", 95 - day % 5, "%", at)
            observation(conn, pid, "29463-7", 80.5 + (20 - day) * 0.15, "kg", at)
            observation(conn, other_pid, "14743-9", 7.5, "mmol/L", at)
    return World(nursing, gp, other, "nurse", "gp", "outsider", pid, other_pid)


def user(conn: psycopg.Connection, username: str, role: str, organisation_id: int | None,
         display_name: str | None = None, locale: str = "da") -> int:
    return create_user(conn, username=username, password=PASSWORD, display_name=display_name or username.title(),
                       role=role, organisation_id=organisation_id, locale=locale)


def kit(conn: psycopg.Connection, gateway_id: str, patient_id: int | None, *, online: bool = True,
        last_seen: datetime | None = None, devices: dict[str, dict[str, object]] | None = None,
        outbox_depth: int | None = 0, since: datetime | None = None) -> None:
    """A gateway with its latest status, assigned to the patient (if given) from `since`."""
    status = {"gateway_id": gateway_id, "online": online, "outbox_depth": outbox_depth, "devices": devices or {}}
    conn.execute("INSERT INTO gateways (id, label, online, last_seen_at, status) VALUES (%s, %s, %s, %s, %s)",
                 (gateway_id, f"Kit {gateway_id}", online, last_seen, Jsonb(status)))
    if patient_id is not None:
        conn.execute("INSERT INTO kit_assignments (gateway_id, patient_id, valid_from) VALUES (%s, %s, %s)",
                     (gateway_id, patient_id, since or datetime.now(UTC) - timedelta(days=60)))
