"""Organisation admin changes, each with its checks and its audit row: enrolment, kits and threshold overrides."""

from __future__ import annotations

import re
from dataclasses import dataclass

import psycopg

from alerts.thresholds import PROGRAMMES
from clinician_ui.accounts import User
from clinician_ui.queries import admin as q
from clinician_ui.queries import overrides as oq
from clinician_ui.queries.audit import record
from device_profiles.codes import CODES

LIMIT_FIELDS = ("red_low", "yellow_low", "yellow_high", "red_high")
OVERRIDABLE = ("bp_systolic", "bp_diastolic", "pulse_rate", "spo2", "body_weight", "glucose", "body_temp", "pef",
               "fev1")
GATEWAY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{1,63}$")


class FormErrors(Exception):
    """Field name → message key; shown next to the fields."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Enrolment:
    name: str
    birth_year: int | None
    programmes: list[str]
    nursing_org: int
    gp_org: int


def check_enrolment(user: User, orgs: dict[int, str], name: str, birth_year: str, programmes: list[str],
                    nursing_org: str, gp_org: str) -> Enrolment:
    """orgs: organisation id → kind."""
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "err_name_missing"
    year: int | None = None
    if birth_year.strip():
        try:
            year = int(birth_year)
            if not 1900 <= year <= 2030:
                errors["birth_year"] = "err_birth_year"
        except ValueError:
            errors["birth_year"] = "err_birth_year"
    chosen = [p for p in PROGRAMMES if p in programmes]
    if not chosen or len(chosen) != len(set(programmes)):
        errors["programmes"] = "err_programmes"
    nursing = int(nursing_org) if nursing_org.isdigit() else -1
    gp = int(gp_org) if gp_org.isdigit() else -1
    if orgs.get(nursing) not in ("nursing_team", "acute_team"):
        errors["nursing_org"] = "err_nursing_org"
    if orgs.get(gp) != "gp_practice":
        errors["gp_org"] = "err_gp_org"
    if not errors and user.organisation_id not in (nursing, gp):
        # Otherwise the admin would enrol a patient she could then never see again.
        errors["nursing_org"] = "err_own_org"
    if errors:
        raise FormErrors(errors)
    return Enrolment(name.strip()[:200], year, chosen, nursing, gp)


async def enrol(conn: psycopg.AsyncConnection, user: User, e: Enrolment) -> int:
    pid = await q.create_patient(conn, e.name, e.birth_year, e.nursing_org, e.gp_org, e.programmes)
    await record(conn, user.id, "admin.patient.enrol", pid,
                 {"programmes": e.programmes, "nursing_org": e.nursing_org, "gp_org": e.gp_org})
    return pid


async def update_care(conn: psycopg.AsyncConnection, user: User, patient_id: int, e: Enrolment) -> None:
    await q.set_care(conn, patient_id, e.programmes, e.nursing_org, e.gp_org)
    await record(conn, user.id, "admin.patient.care", patient_id,
                 {"programmes": e.programmes, "nursing_org": e.nursing_org, "gp_org": e.gp_org})


async def register_kit(conn: psycopg.AsyncConnection, user: User, gateway_id: str, label: str) -> None:
    gateway_id = gateway_id.strip()
    if not GATEWAY_ID.match(gateway_id):
        raise FormErrors({"gateway_id": "err_gateway_id"})
    if await q.gateway_exists(conn, gateway_id):
        raise FormErrors({"gateway_id": "err_gateway_exists"})
    assert user.organisation_id is not None
    await q.register_kit(conn, gateway_id, label.strip()[:200] or None, user.organisation_id)
    await record(conn, user.id, "admin.kit.register", None, {"gateway_id": gateway_id})


async def assign_kit(conn: psycopg.AsyncConnection, user: User, patient_id: int, gateway_id: str,
                     user_index: int | None = None) -> None:
    """Give the patient a kit; with ``user_index``, only that user of a shared device (a couple's cuff)."""
    if await q.kit(conn, user.organisation_id, gateway_id) is None:
        raise FormErrors({"gateway_id": "err_kit_unknown"})
    if await q.open_assignment(conn, gateway_id, user_index) is not None:
        raise FormErrors({"gateway_id": "err_kit_taken"})
    current = [k for k in await q.patient_kits(conn, patient_id) if k["valid_to"] is None]
    if current:
        raise FormErrors({"gateway_id": "err_patient_has_kit"})
    try:
        async with conn.transaction():
            await q.assign_kit(conn, gateway_id, patient_id, user_index)
    except psycopg.errors.UniqueViolation as exc:  # assigned elsewhere at the same moment
        raise FormErrors({"gateway_id": "err_kit_taken"}) from exc
    await record(conn, user.id, "admin.kit.assign", patient_id, {"gateway_id": gateway_id, "user_index": user_index})


async def unassign_kit(conn: psycopg.AsyncConnection, user: User, patient_id: int) -> str | None:
    gateway_id = await q.end_assignment(conn, patient_id)
    if gateway_id:
        await record(conn, user.id, "admin.kit.unassign", patient_id, {"gateway_id": gateway_id})
    return gateway_id


def check_limits(code: str, raw: dict[str, str], reason: str) -> oq.Limits:
    errors: dict[str, str] = {}
    c = CODES.get(code) if code in OVERRIDABLE else None
    if c is None:
        errors["code"] = "err_choose_measurement"
    values: list[float | None] = []
    for name in LIMIT_FIELDS:
        text = (raw.get(name) or "").strip().replace(",", ".")
        if not text:
            values.append(None)
            continue
        try:
            v = float(text)
        except ValueError:
            errors[name] = "err_value_not_number"
            values.append(None)
            continue
        if c is not None and not c.possible[0] <= v <= c.possible[1]:
            errors[name] = "err_limit_impossible"
        values.append(v)
    given = [v for v in values if v is not None]
    if not given and not errors:
        errors["red_low"] = "err_limits_missing"
    elif given != sorted(given) or len(set(given)) != len(given):
        errors["red_low"] = "err_limits_order"
    if not reason.strip():
        errors["reason"] = "err_reason_missing"
    if errors:
        raise FormErrors(errors)
    return (values[0], values[1], values[2], values[3])


async def set_override(conn: psycopg.AsyncConnection, user: User, patient_id: int, code: str,
                       limits: oq.Limits, reason: str) -> int:
    ended = await oq.end_active(conn, patient_id, code, user.id)
    override_id = await oq.insert(conn, patient_id, code, limits, reason.strip()[:1000], user.id)
    await record(conn, user.id, "admin.override.set", patient_id,
                 {"override_id": override_id, "replaces": ended, "code": code,
                  **dict(zip(LIMIT_FIELDS, limits, strict=True)), "reason": reason.strip()[:1000]})
    return override_id


async def end_override(conn: psycopg.AsyncConnection, user: User, patient_id: int, code: str) -> int | None:
    ended = await oq.end_active(conn, patient_id, code, user.id)
    if ended:
        await record(conn, user.id, "admin.override.end", patient_id, {"override_id": ended, "code": code})
    return ended
