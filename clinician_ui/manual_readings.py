"""Readings a nurse types in at a visit: checked field by field, stored as 'manual' with who measured,
and queued for the alert core in the same transaction as the row."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg

from clinician_ui.accounts import User
from clinician_ui.i18n import TZ
from clinician_ui.queries.audit import record
from device_profiles.codes import CODES, Code
from device_profiles.wire import OBSERVATION_NAMESPACE

# What a nurse measures in a home, in the order she takes it.
MANUAL_CODES = ("bp_systolic", "bp_diastolic", "pulse_rate", "spo2", "body_temp", "body_weight", "glucose",
                "pef", "fev1")
ENTERING_ROLES = frozenset({"nurse", "acute_nurse", "gp"})
MAX_AGE = timedelta(days=30)
CLOCK_SLACK = timedelta(minutes=5)


@dataclass(frozen=True)
class ManualReading:
    code: Code
    value: float
    measured_at: datetime


def parse(code: str, value: str, measured_at: str, now: datetime) -> ManualReading | dict[str, str]:
    """A checked reading, or field name → message key for each field that is wrong."""
    errors: dict[str, str] = {}
    c = CODES.get(code) if code in MANUAL_CODES else None
    if c is None:
        errors["code"] = "err_choose_measurement"
    number: float | None = None
    text = value.strip().replace(",", ".")
    if not text:
        errors["value"] = "err_value_missing"
    else:
        try:
            number = float(text)
        except ValueError:
            errors["value"] = "err_value_not_number"
        else:
            if number != number or (c is not None and not c.possible[0] <= number <= c.possible[1]):
                errors["value"] = "err_value_impossible"
    at: datetime | None = None
    try:
        at = datetime.fromisoformat(measured_at.strip()) if measured_at.strip() else None
    except ValueError:
        at = None
    if at is None:
        errors["measured_at"] = "err_time_missing"
    else:
        at = at.replace(tzinfo=TZ) if at.tzinfo is None else at
        if at > now + CLOCK_SLACK:
            errors["measured_at"] = "err_time_future"
        elif at < now - MAX_AGE:
            errors["measured_at"] = "err_time_too_old"
    if errors or c is None or number is None or at is None:
        return errors
    return ManualReading(c, number, at)


def reading_id(patient_id: int, reading: ManualReading, user_id: int) -> uuid.UUID:
    """Same entry ⇒ same id, so a form sent twice stores the reading once."""
    key = f"manual|{patient_id}|{reading.code.loinc}|{reading.value!r}|{reading.measured_at.isoformat()}|{user_id}"
    return uuid.uuid5(OBSERVATION_NAMESPACE, key)


async def store(conn: psycopg.AsyncConnection, user: User, patient_id: int, reading: ManualReading) -> bool:
    """Insert the reading and its alert-queue row (the caller's transaction); False if already stored."""
    obs_id = reading_id(patient_id, reading, user.id)
    cur = await conn.execute(
        """INSERT INTO observations (id, patient_id, code, value, unit, measured_at, received_at, source,
                                     entered_by, device_id, gateway_id)
           VALUES (%s, %s, %s, %s, %s, %s, now(), 'manual', %s, NULL, NULL)
           ON CONFLICT DO NOTHING RETURNING id""",
        (obs_id, patient_id, reading.code.loinc, reading.value, reading.code.unit, reading.measured_at, user.id),
    )
    if await cur.fetchone() is None:
        return False
    await conn.execute("INSERT INTO alert_queue (patient_id, observation_ids) VALUES (%s, %s)",
                       (patient_id, [obs_id]))
    # Wakes the alert core now rather than at its next poll (delivered at commit).
    await conn.execute("SELECT pg_notify('nearcare_observations', %s)", (json.dumps({"n": 1}),))
    await record(conn, user.id, "observation.manual", patient_id,
                 {"observation_id": str(obs_id), "code": reading.code.key, "value": reading.value,
                  "measured_at": reading.measured_at.isoformat()})
    return True
