"""Evaluate one patient's new committed readings under that patient's lock; the rules stay pure."""

from __future__ import annotations

import uuid

import psycopg
import structlog

from alerts import store
from alerts.rules import threshold
from alerts.thresholds import bands_for

log = structlog.get_logger(__name__)

# While admitted, away or paused, readings are stored but raise nothing.
_SUPPRESSED = {"admitted", "away", "paused"}


def evaluate_patient(conn: psycopg.Connection, patient_id: int, observation_ids: list[uuid.UUID]) -> int:
    """Apply every rule to the new readings; returns how many alert actions were written."""
    store.lock_patient(conn, patient_id)
    ctx = store.patient(conn, patient_id)
    if ctx is None or ctx.status in _SUPPRESSED:
        return 0
    actions = 0
    for reading in store.readings(conn, observation_ids):
        bands = bands_for(ctx.conditions, reading.code)
        if bands is None:
            continue
        live = store.live_alert(conn, patient_id, threshold.RULE, reading.code)
        action = threshold.evaluate(reading, bands, live)
        if action is not None:
            store.apply(conn, patient_id, action)
            actions += 1
    return actions


def run_once(conn: psycopg.Connection, limit: int = 1000) -> int:
    """Claim queued readings and evaluate them in one transaction; returns readings processed."""
    with conn.transaction():
        claimed = store.claim(conn, limit)
        for patient_id in sorted(claimed):  # a fixed order keeps two workers from deadlocking
            evaluate_patient(conn, patient_id, claimed[patient_id])
    return sum(len(v) for v in claimed.values())
