"""No data: a planned measurement is overdue; name the likely cause with its evidence.

Causes, checked in this order: the gateway is offline (no heartbeat for 15 minutes, or its last will said
offline); the device has not been seen by the gateway for a day, reports errors, or its battery is low; the
readings are on their way but not stored (the gateway's outbox holds readings, or the device was used since the
measurement became due); otherwise the patient did not measure. Only in that last case is a patient reminder
suggested: there is no point reminding someone whose kit cannot send.

Source: programme practice (a measurement plan per patient, e.g. weight daily before 10:00); the device and
gateway fields are those the gateway reports in its status message (device_profiles.wire.GatewayStatus).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from device_profiles.codes import CODES

RULE = "no_data"
HEARTBEAT_STALE = timedelta(minutes=15)
DEVICE_STALE = timedelta(hours=24)
BATTERY_LOW = 20
DEVICE_FAILURES = 3

Cause = Literal["gateway_offline", "no_kit", "device_not_seen", "device_battery_low", "device_errors",
                "server_delay", "patient_not_measured"]

TEXT: dict[str, tuple[str, str]] = {
    "gateway_offline": ("the home gateway is offline", "hjemme-gatewayen er offline"),
    "no_kit": ("no kit is assigned", "der er ikke tildelt noget udstyr"),
    "device_not_seen": ("the device has not been seen by the gateway", "apparatet er ikke set af gatewayen"),
    "device_battery_low": ("the device battery is low", "apparatets batteri er lavt"),
    "device_errors": ("the device keeps failing to transfer", "apparatet fejler gentagne gange ved overførsel"),
    "server_delay": ("readings are delayed on the way to the server", "målinger er forsinket på vej til serveren"),
    "patient_not_measured": ("the patient has not measured; the kit is working",
                             "patienten har ikke målt; udstyret virker"),
}


@dataclass(frozen=True)
class Plan:
    patient_id: int
    code: str
    frequency: Literal["daily", "weekly"] = "daily"
    due_by: time = time(10, 0)
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("Europe/Copenhagen"))


@dataclass(frozen=True)
class Kit:
    gateway_id: str
    online: bool
    last_seen_at: datetime | None
    status: dict[str, object] = field(default_factory=dict)  # GatewayStatus as the gateway last sent it


@dataclass(frozen=True)
class Evidence:
    last_reading_at: datetime | None
    last_device_id: str | None
    kit: Kit | None


@dataclass(frozen=True)
class Overdue:
    code: str
    due_at: datetime
    cause: Cause
    remind_patient: bool
    explanation: dict[str, object]


def due_at(plan: Plan, now: datetime) -> tuple[datetime, datetime] | None:
    """(start of the period a measurement counts for, the time it was due) if that time has passed."""
    local = now.astimezone(plan.tz)
    due = datetime.combine(local.date(), plan.due_by, plan.tz)
    if local < due:
        return None
    start = datetime.combine(local.date(), time(0, 0), plan.tz)
    if plan.frequency == "weekly":
        start -= timedelta(days=6)
    return start, due


def _parse(v: object) -> datetime | None:
    if isinstance(v, datetime):
        return v
    if isinstance(v, str):
        try:
            return datetime.fromisoformat(v)
        except ValueError:
            return None
    return None


def _number(v: object) -> float | None:
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else None


def cause(ev: Evidence, start: datetime, now: datetime) -> tuple[Cause, dict[str, object]]:
    kit = ev.kit
    if kit is None:
        return "no_kit", {}
    seen = kit.last_seen_at.isoformat() if kit.last_seen_at else None
    if not kit.online or kit.last_seen_at is None or now - kit.last_seen_at > HEARTBEAT_STALE:
        return "gateway_offline", {"gateway_id": kit.gateway_id, "gateway_last_seen": seen, "online": kit.online}
    devices = kit.status.get("devices")
    devices = devices if isinstance(devices, dict) else {}
    device = devices.get(ev.last_device_id) if ev.last_device_id else None
    evidence: dict[str, object] = {"gateway_id": kit.gateway_id, "gateway_last_seen": seen,
                                   "device_id": ev.last_device_id}
    if not isinstance(device, dict):
        return "device_not_seen", evidence | {"device_last_seen": None}
    dev_seen = _parse(device.get("last_seen"))
    battery = _number(device.get("battery", device.get("battery_level")))
    failures = _number(device.get("failures")) or 0
    evidence |= {"device_last_seen": dev_seen.isoformat() if dev_seen else None, "battery": battery,
                 "failures": failures}
    if battery is not None and battery < BATTERY_LOW:
        return "device_battery_low", evidence
    if failures >= DEVICE_FAILURES:
        return "device_errors", evidence
    if dev_seen is None or now - dev_seen > DEVICE_STALE:
        return "device_not_seen", evidence
    outbox = _number(kit.status.get("outbox_depth")) or 0
    if outbox > 0 or dev_seen >= start:
        return "server_delay", evidence | {"outbox_depth": outbox}
    return "patient_not_measured", evidence


def evaluate(plan: Plan, ev: Evidence, now: datetime) -> Overdue | None:
    """Overdue with its likely cause, or None when the measurement is not (yet) missing."""
    window = due_at(plan, now)
    if window is None:
        return None
    start, due = window
    if ev.last_reading_at is not None and ev.last_reading_at >= start:
        return None
    why, evidence = cause(ev, start, now)
    name = CODES[plan.code]
    local_due = due.strftime("%H:%M")
    last = ev.last_reading_at.astimezone(plan.tz).strftime("%Y-%m-%d %H:%M") if ev.last_reading_at else None
    en_last = f" Last reading {last}." if last else " No reading yet."
    da_last = f" Seneste måling {last}." if last else " Ingen målinger endnu."
    remind = why == "patient_not_measured"
    return Overdue(plan.code, due, why, remind, {
        "rule": RULE, "code": plan.code, "severity": "yellow", "cause": why, "evidence": evidence,
        "due_at": due.isoformat(), "last_reading_at": ev.last_reading_at.isoformat() if ev.last_reading_at else None,
        "remind_patient": remind, "values": [],
        "text": {"en": f"No {name.name_en.lower()} by {local_due}: likely {TEXT[why][0]}.{en_last}",
                 "da": f"Ingen {name.name_da.lower()} kl. {local_due}: sandsynligvis {TEXT[why][1]}.{da_last}"}})
