"""Clinical scenario scripts: what a patient's devices would measure, day by day. Pure and seeded.

Baselines and courses follow published physiology: heart-failure decompensation shows 1–2 kg fluid weight
gain over days with rising resting pulse (ESC HF guideline 2021); COPD exacerbations show falling SpO2 and
FEV1 with rising pulse over 3–7 days (GOLD 2024); home blood pressure day-to-day SD about 5–8 mmHg (ESH).
The last three scripts are faults of the kit, not of the patient: silence that the missing-data rules must
notice, and a backlog that the outbox must carry.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

SCENARIOS = ("stable", "hf_weight_gain", "copd_exacerbation", "nocturnal_hypo", "hypertensive_crisis",
             "patient_stops_measuring", "battery_dies", "gateway_offline_two_days")
OFFLINE_DAYS = 2  # how long "gateway_offline_two_days" holds the kit's publisher off


@dataclass(frozen=True)
class Sample:
    """One measurement session on one kind of device, in the patient's local time."""

    at: datetime  # naive local time as the patient lives it
    kind: str  # "bp", "weight", "glucose", "spo2", "temp", "spirometry", "peak_flow"
    values: dict[str, float]


@dataclass(frozen=True)
class Patient:
    seed: int
    scenario: str
    kinds: tuple[str, ...]
    weight_kg: float = 80.0
    systolic: float = 135.0
    diastolic: float = 82.0
    pulse: float = 72.0
    spo2: float = 95.0
    glucose: float = 7.5
    fev1: float = 1.5  # litres; moderate COPD (GOLD 2) in an older adult
    pef: float = 260.0  # L/min
    event_day: int = 0  # days before the end of the series when the scenario peaks (0 = last day)


def _morning(day: datetime, rng: random.Random) -> datetime:
    return day.replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(minutes=rng.randint(-40, 50))


def _ramp(days_to_event: int, length: int) -> float:
    """0 before the course starts, rising to 1 on the event day, easing off after it."""
    if days_to_event > length:
        return 0.0
    if days_to_event >= 0:
        return (length - days_to_event) / length
    return max(0.0, 1.0 + days_to_event / 3)


def day_samples(p: Patient, day: datetime, days_to_event: int) -> list[Sample]:
    """What the patient measures on one day (a missed day now and then, as real patients do)."""
    if p.scenario == "patient_stops_measuring" and days_to_event < 0:
        return []  # the patient put the devices in a drawer after the event day
    rng = random.Random(f"{p.seed}-{day.date().isoformat()}")
    if rng.random() < 0.06:
        return []
    out: list[Sample] = []
    hf = _ramp(days_to_event, 7) if p.scenario == "hf_weight_gain" else 0.0
    copd = _ramp(days_to_event, 5) if p.scenario == "copd_exacerbation" else 0.0
    crisis = p.scenario == "hypertensive_crisis" and days_to_event == 0
    pulse = p.pulse + rng.gauss(0, 4) + 14 * hf + 22 * copd
    if "weight" in p.kinds:
        weight = p.weight_kg + rng.gauss(0, 0.3) + 2.8 * hf
        out.append(Sample(_morning(day, rng) - timedelta(minutes=10), "weight", {"weight": round(weight, 2)}))
    if "bp" in p.kinds:
        sys_ = p.systolic + rng.gauss(0, 7) + (52 if crisis else 0)
        dia = p.diastolic + rng.gauss(0, 5) + (34 if crisis else 0)
        out.append(Sample(_morning(day, rng), "bp", {"systolic": round(sys_), "diastolic": round(dia),
                                                     "pulse": round(pulse)}))
    if "spo2" in p.kinds:
        spo2 = min(100.0, p.spo2 + rng.gauss(0, 0.8) - 7 * copd)
        out.append(Sample(_morning(day, rng) + timedelta(minutes=5), "spo2",
                          {"spo2": round(spo2), "pulse": round(pulse)}))
    if "glucose" in p.kinds:
        for hour in (7, 12, 18, 22):
            g = p.glucose + rng.gauss(0, 1.4) + (2.5 if hour == 12 else 0)
            out.append(Sample(day.replace(hour=hour, minute=rng.randint(0, 40)), "glucose",
                              {"glucose": round(max(2.0, g), 1)}))
        if p.scenario == "nocturnal_hypo" and days_to_event in (0, 2, 5):
            out.append(Sample(day.replace(hour=3, minute=rng.randint(0, 50)), "glucose",
                              {"glucose": round(2.6 + rng.random() * 0.8, 1)}))
    out.extend(_lung_function(p, day, copd))
    return sorted(out, key=lambda s: s.at)


def _lung_function(p: Patient, day: datetime, copd: float) -> list[Sample]:
    """Spirometry and peak flow, on a random stream of their own so the other devices' samples stay as they
    were. An exacerbation takes FEV1 and PEF down by about a fifth at its peak (GOLD 2024; home spirometry
    studies see falls of 10-20 % in the days before treatment), and effort is worse when breathless."""
    kinds = [k for k in ("spirometry", "peak_flow") if k in p.kinds]
    if not kinds:
        return []
    rng = random.Random(f"{p.seed}-{day.date().isoformat()}-lung")
    fev1 = max(0.3, p.fev1 * (1 - 0.2 * copd) * (1 + rng.gauss(0, 0.04)))
    pef = max(60.0, p.pef * (1 - 0.22 * copd) * (1 + rng.gauss(0, 0.05)))
    at = _morning(day, rng) + timedelta(minutes=8)
    out: list[Sample] = []
    if "spirometry" in kinds:
        ratio = min(0.69, max(0.3, 0.55 - 0.04 * copd + rng.gauss(0, 0.02)))
        fvc = fev1 / ratio
        fev6 = fvc * 0.96 if rng.random() < 0.85 else None  # a short blow gives no FEV6
        grade = min(5, max(0, round(abs(rng.gauss(0, 0.9)) + 1.5 * copd)))
        values = {"fev1": round(fev1, 2), "fvc": round(fvc, 2), "fev1_fvc": round(100 * fev1 / fvc, 1),
                  "pef": round(round(pef / 60, 2) * 60, 1), "grade": float(grade)}
        if fev6 is not None:
            values["fev6"] = round(fev6, 2)
        out.append(Sample(at, "spirometry", values))
    if "peak_flow" in kinds:
        out.append(Sample(at + timedelta(minutes=2), "peak_flow", {"pef": round(pef), "fev1": round(fev1, 2)}))
    return out


def history(p: Patient, end: datetime, days: int) -> list[Sample]:
    """``days`` days of samples ending at ``end`` (naive local), only those before ``end``."""
    start = (end - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    out: list[Sample] = []
    for i in range(days + 1):
        day = start + timedelta(days=i)
        days_to_event = (end.date() - timedelta(days=p.event_day) - day.date()).days
        out.extend(s for s in day_samples(p, day, days_to_event) if s.at < end)
    return out


def battery_drain_per_reading(p: Patient, end: datetime, days: int, kind: str, level: int) -> int:
    """For "battery_dies": the percentage points each reading on the ``kind`` device costs so that a battery
    at ``level`` % when ``history(p, end, days)`` starts is flat after the last reading of the event day.
    The patient measures on as before; the device simply stops recording and advertising."""
    event = end.date() - timedelta(days=p.event_day)
    readings = sum(1 for s in history(p, end, days) if s.kind == kind and s.at.date() <= event)
    if readings == 0:
        raise ValueError(f"no {kind} readings up to the event day: the battery cannot die of them")
    return math.ceil(level / readings)


def offline_window(end: datetime, days: int = OFFLINE_DAYS) -> tuple[datetime, datetime]:
    """For "gateway_offline_two_days": the gateway loses its uplink ``days`` before ``end`` and gets it back
    at ``end`` (naive local times)."""
    return end - timedelta(days=days), end


def samples_while_offline(p: Patient, end: datetime, days: int = OFFLINE_DAYS) -> list[Sample]:
    """What the kit measures while its publisher is held off: these readings sit in the devices and the
    outbox until the uplink returns at ``end``, then drain oldest first."""
    start, stop = offline_window(end, days)
    return [s for s in history(p, end, days + 1) if start <= s.at < stop]
