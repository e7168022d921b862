"""The demo cohort: about 20 fictional patients of one home-nursing team and one GP practice, with kits."""

from __future__ import annotations

import random
from dataclasses import dataclass

from gateway.sim.scenarios import Patient

NAMES = [
    "Inger Mortensen", "Poul Kristensen", "Kirsten Hansen", "Erik Nielsen", "Birthe Jensen",
    "Henning Pedersen", "Grethe Andersen", "Knud Larsen", "Ruth Sørensen", "Arne Rasmussen",
    "Lis Jørgensen", "Bent Madsen", "Karen Olsen", "Svend Thomsen", "Elly Poulsen",
    "Jørgen Christensen", "Ingrid Johansen", "Preben Møller", "Else Karlsen", "Mogens Frederiksen",
]

# (conditions, scenario, days before today when it peaks)
PLAN: list[tuple[tuple[str, ...], str, int]] = [
    (("heart_failure",), "hf_weight_gain", 0),
    (("copd",), "copd_exacerbation", 0),
    (("diabetes",), "nocturnal_hypo", 0),
    (("heart_failure", "diabetes"), "stable", 0),
    (("copd", "heart_failure"), "stable", 0),
    (("diabetes",), "stable", 0),
    (("heart_failure",), "stable", 0),
    (("copd",), "stable", 0),
    (("diabetes", "copd"), "stable", 0),
    (("heart_failure",), "hf_weight_gain", 12),
    (("copd",), "stable", 0),
    (("diabetes",), "stable", 0),
    (("heart_failure",), "stable", 0),
    (("copd",), "copd_exacerbation", 20),
    (("diabetes", "heart_failure"), "stable", 0),
    (("heart_failure",), "stable", 0),
    (("copd",), "stable", 0),
    (("diabetes",), "stable", 0),
    (("heart_failure", "copd"), "stable", 0),
    (("diabetes",), "hypertensive_crisis", -1),  # happens live, during the demo
]


@dataclass(frozen=True)
class DemoPatient:
    index: int
    name: str
    birth_year: int
    conditions: tuple[str, ...]
    gateway_id: str
    sim: Patient


def kinds_for(conditions: tuple[str, ...], available: set[str]) -> tuple[str, ...]:
    """The devices in a kit: every kit has a blood-pressure cuff; the rest follow the conditions (COPD: a
    pulse oximeter and a home spirometer)."""
    kinds = ["bp"]
    if "heart_failure" in conditions:
        kinds.append("weight")
    if "copd" in conditions:
        kinds.extend(("spo2", "spirometry"))
    if "diabetes" in conditions:
        kinds.append("glucose")
    return tuple(k for k in kinds if k in available)


def cohort(available_kinds: set[str]) -> list[DemoPatient]:
    out = []
    for i, (name, (conditions, scenario, event_day)) in enumerate(zip(NAMES, PLAN, strict=True)):
        rng = random.Random(i)
        lung = random.Random(f"lung-{i}")  # its own stream: the other baselines stay as they were
        sim = Patient(
            seed=1000 + i, scenario=scenario, kinds=kinds_for(conditions, available_kinds),
            weight_kg=round(rng.uniform(58, 98), 1), systolic=rng.uniform(122, 146),
            diastolic=rng.uniform(72, 88), pulse=rng.uniform(62, 80),
            spo2=rng.uniform(92.5, 96) if "copd" in conditions else rng.uniform(95, 98),
            glucose=rng.uniform(6.5, 9.0), event_day=event_day,
            fev1=round(lung.uniform(1.1, 2.0), 2), pef=round(lung.uniform(200, 320)),
        )
        out.append(DemoPatient(i + 1, name, rng.randint(1936, 1958), conditions, f"kit-{i + 1:04d}", sim))
    return out
