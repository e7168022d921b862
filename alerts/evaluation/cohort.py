"""A seeded cohort of simulated home-monitored patients with labelled deterioration episodes.

Written from the published physiology in alerts.evaluation.physiology, independent of the detectors: every
patient is a function of (seed, index) only. Readings carry device errors, missed days and gateway outages
whose backlog arrives late.
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from alerts.evaluation import physiology as P
from alerts.model import Reading
from device_profiles.codes import CODES

TZ = ZoneInfo("Europe/Copenhagen")
START = datetime(2026, 1, 5, tzinfo=TZ)
CONDITIONS = ("heart_failure", "copd", "diabetes", "hypertension")
PRIMARY_SHARE = (0.30, 0.30, 0.25, 0.15)
SECOND_CONDITION_SHARE = 0.25
EPISODE_SHARE = {"heart_failure": 0.45, "copd": 0.55, "diabetes": 0.40, "hypertension": 0.30}


@dataclass(frozen=True)
class Episode:
    condition: str
    kind: str  # "decompensation", "exacerbation", "severe_hypo", "hyperglycaemia", "crisis"
    event_day: int  # day of admission or treatment: an alert must come at least a day before
    onset_day: int
    admitted_days: int = 0


@dataclass
class SimPatient:
    index: int
    conditions: tuple[str, ...]
    days: int
    readings: list[Reading] = field(default_factory=list)
    episodes: list[Episode] = field(default_factory=list)
    admitted: set[int] = field(default_factory=set)


def _at(day: int, hour: float) -> datetime:
    return (START + timedelta(days=day, hours=hour)).astimezone(ZoneInfo("UTC"))


def _ramp(day: int, onset: int, event: int, recovery: int) -> float:
    """0 before onset, linear to 1 at the event, back to 0 over the recovery."""
    if day < onset or day > event + recovery:
        return 0.0
    if day <= event:
        return 1.0 if event == onset else (day - onset + 1) / (event - onset + 1)
    return 1.0 - (day - event) / (recovery + 1)


def _conditions(rng: np.random.Generator) -> tuple[str, ...]:
    first = str(rng.choice(CONDITIONS, p=PRIMARY_SHARE))
    if rng.random() < SECOND_CONDITION_SHARE:
        others = [c for c in CONDITIONS if c != first]
        return (first, str(rng.choice(others)))
    return (first,)


def _episodes(rng: np.random.Generator, conditions: tuple[str, ...], days: int) -> list[Episode]:
    out: list[Episode] = []
    taken: list[int] = []
    for c in conditions:
        if rng.random() >= EPISODE_SHARE[c] or days < 45:
            continue
        event = int(rng.integers(32, days - 2))
        if any(abs(event - t) < 20 for t in taken):
            continue
        taken.append(event)
        if c == "heart_failure":
            onset = event - int(rng.integers(*P.HF_FAST_DAYS, endpoint=True))
            out.append(Episode(c, "decompensation", event, onset, int(rng.integers(*P.HF_ADMISSION_DAYS))))
        elif c == "copd":
            gradual = rng.random() >= P.COPD_SUDDEN_SHARE
            onset = event - (int(rng.integers(*P.COPD_GRADUAL_DAYS, endpoint=True)) if gradual else 0)
            admitted = 5 if rng.random() < P.COPD_ADMITTED_SHARE else 0
            out.append(Episode(c, "exacerbation", event, onset, admitted))
        elif c == "diabetes":
            if rng.random() < 0.5:
                out.append(Episode(c, "severe_hypo", event, event - 2, 0))
            else:
                onset = event - int(rng.integers(*P.DM_ILLNESS_DAYS, endpoint=True))
                out.append(Episode(c, "hyperglycaemia", event, onset, 3))
        else:
            onset = event - int(rng.integers(*P.HTN_CRISIS_DAYS, endpoint=True))
            out.append(Episode(c, "crisis", event, onset, 0))
    return out


class _Maker:
    def __init__(self, rng: np.random.Generator, patient: SimPatient) -> None:
        self.rng = rng
        self.p = patient
        self.seq = 0

    def add(self, code: str, value: float, day: int, hour: float, arrive_day: int) -> None:
        lo, hi = CODES[code].possible
        if not lo <= value <= hi:
            return  # ingest quarantines physiologically impossible values
        measured = _at(day, hour)
        received = measured if arrive_day == day else _at(arrive_day, 20.0)
        self.seq += 1
        rid = uuid.uuid5(uuid.NAMESPACE_OID, f"{self.p.index}-{self.seq}")
        self.p.readings.append(Reading(rid, code, value, CODES[code].unit, measured, received))


def generate(index: int, seed: int, days: int = 90) -> SimPatient:
    """One patient, a pure function of (seed, index)."""
    rng = np.random.default_rng([seed, index])
    conditions = _conditions(rng)
    p = SimPatient(index, conditions, days)
    p.episodes = _episodes(rng, conditions, days)
    for e in p.episodes:
        p.admitted.update(range(e.event_day, e.event_day + e.admitted_days))
    mk = _Maker(rng, p)
    hf, copd, dm = "heart_failure" in conditions, "copd" in conditions, "diabetes" in conditions
    # personal baselines
    w0, w_sd = rng.uniform(55, 110), rng.uniform(*P.HF_WEIGHT_DAY_SD)
    sys0, dia0 = rng.normal(*P.BP_SYS), rng.normal(*P.BP_DIA)
    pulse0 = rng.uniform(*P.COPD_PULSE_BASE) if copd else rng.uniform(60, 80)
    spo2_0 = rng.uniform(*P.COPD_SPO2_BASE) if copd else rng.uniform(94, 98)
    fev1_0 = rng.uniform(*P.COPD_FEV1_BASE)
    t1 = dm and rng.random() < P.DM_TYPE1_SHARE
    g_mean = rng.uniform(*P.DM_MEAN)
    g_cv = rng.uniform(*(P.DM_CV_T1 if t1 else P.DM_CV_T2))
    miss = rng.beta(*P.MISSED_DAY_BETA)
    has_fev1 = copd and rng.random() < 0.6
    has_spo2 = copd or (hf and rng.random() < 0.5)
    has_temp = copd and rng.random() < 0.3
    # episode courses, per day
    d_weight = np.zeros(days)
    d_pulse = np.zeros(days)
    d_spo2 = np.zeros(days)
    d_fev1 = np.zeros(days)
    g_factor = np.ones(days)
    cv_factor = np.ones(days)
    night_p = np.full(days, P.DM_NIGHT_READING)
    d_sys = np.zeros(days)
    for e in p.episodes:
        if e.kind == "decompensation":
            dry = rng.random() < P.HF_DRY_SHARE
            slow = 0.0 if dry else rng.uniform(*P.HF_SLOW_GAIN_KG)
            fast = 0.0 if dry else rng.lognormal(math.log(P.HF_FAST_GAIN_MEDIAN_KG), P.HF_FAST_GAIN_SIGMA)
            rise = rng.uniform(*P.HF_PULSE_RISE)
            for d in range(days):
                r_slow = min(1.0, max(0.0, (d - (e.event_day - 30)) / 23)) if d <= e.event_day else 0.0
                r_fast = _ramp(d, e.onset_day, e.event_day, 0) if d <= e.event_day else 0.0
                d_weight[d] += slow * r_slow + fast * r_fast
                d_pulse[d] += rise * r_fast
        elif e.kind == "exacerbation":
            drop, up = max(0.0, rng.normal(*P.COPD_SPO2_DROP)), rng.normal(*P.COPD_PULSE_RISE)
            fall = max(0.0, rng.normal(*P.COPD_FEV1_DROP))
            for d in range(days):
                r = _ramp(d, e.onset_day, e.event_day, P.COPD_RECOVERY_DAYS)
                d_spo2[d] -= drop * r
                d_pulse[d] += up * r
                d_fev1[d] -= fall * r
        elif e.kind == "severe_hypo":
            for d in (e.event_day - 2, e.event_day - 1, e.event_day):
                g_factor[d] *= P.DM_HYPO_MEAN_FACTOR
                cv_factor[d] *= P.DM_HYPO_CV_FACTOR
                night_p[d] = P.DM_HYPO_NIGHT_READING
        elif e.kind == "hyperglycaemia":
            for d in range(days):
                g_factor[d] *= 1 + (P.DM_ILLNESS_FACTOR - 1) * _ramp(d, e.onset_day, e.event_day, 0) \
                    * (d <= e.event_day)
        else:
            rise_sys = rng.uniform(*P.HTN_CRISIS_RISE)
            for d in range(days):
                d_sys[d] += rise_sys * (_ramp(d, e.onset_day, e.event_day, 2))
    # gateway outages: readings wait on the gateway and arrive together when it is back
    arrive = list(range(days))
    d = 0
    while d < days:
        if rng.random() < P.OUTAGE_START:
            length = int(rng.integers(1, 4))
            for k in range(d, min(days, d + length)):
                arrive[k] = min(days - 1, d + length)
            d += length
        d += 1
    drift = np.cumsum(rng.normal(0, P.HF_WEIGHT_DRIFT_SD, days))
    for d in range(days):
        if d in p.admitted or rng.random() < miss:
            continue
        a = arrive[d]
        hour = 7.5 + rng.uniform(-0.7, 1.0)
        pulse = pulse0 + d_pulse[d] + rng.normal(0, P.PULSE_DAY_SD)
        if hf:
            w = w0 + drift[d] + d_weight[d] + rng.normal(0, w_sd)
            u = rng.random()
            if u < P.ERR_WEIGHT_CLOTHES:
                w += rng.uniform(1.0, 2.0)
            elif u < P.ERR_WEIGHT_CLOTHES + P.ERR_WEIGHT_OTHER_PERSON:
                w += rng.choice([-1, 1]) * rng.uniform(15, 30)
            mk.add("body_weight", round(w, 1), d, hour - 0.2, a)
        sys_ = sys0 + d_sys[d] + rng.normal(0, P.BP_DAY_SD[0])
        dia = dia0 + 0.6 * d_sys[d] + rng.normal(0, P.BP_DAY_SD[1])
        if rng.random() < P.ERR_BP_MOVEMENT:
            sys_ += rng.uniform(15, 30)
        mk.add("bp_systolic", round(sys_), d, hour, a)
        mk.add("bp_diastolic", round(dia), d, hour, a)
        mk.add("pulse_rate", round(pulse), d, hour, a)
        if has_spo2:
            s = spo2_0 + d_spo2[d] + rng.normal(0, P.COPD_SPO2_DAY_SD)
            if rng.random() < P.ERR_SPO2_PERFUSION:
                s -= rng.uniform(3, 8)
            mk.add("spo2", float(min(100, round(s))), d, hour + 0.1, a)
        if has_fev1:
            mk.add("fev1", round(fev1_0 * (1 + d_fev1[d]) * (1 + rng.normal(0, P.COPD_FEV1_DAY_CV)), 2), d,
                   hour + 0.2, a)
        if has_temp:
            mk.add("body_temp", round(rng.normal(*P.TEMP) + (0.8 * (d_spo2[d] < -1)), 1), d, hour + 0.3, a)
        if dm:
            sd_log = math.sqrt(math.log(1 + (g_cv * cv_factor[d]) ** 2))
            hours = [7.0, 12.0, 18.0, 22.0] + ([3.0] if rng.random() < night_p[d] else [])
            for h in hours:
                mean = g_mean * g_factor[d] * (0.8 if h in (3.0, 7.0) else 1.1)
                g = mean * math.exp(rng.normal(-sd_log**2 / 2, sd_log))
                if rng.random() < P.ERR_GLUCOSE_CONTAMINATED:
                    g *= 1.5
                mk.add("glucose", round(g, 1), d, h + rng.uniform(0, 0.6), a)
    p.readings.sort(key=lambda r: r.measured_at)
    return p


def cohort(n: int, seed: int, days: int = 90) -> list[SimPatient]:
    return [generate(i, seed, days) for i in range(n)]
