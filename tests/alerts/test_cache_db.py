"""The worker's history cache against real PostgreSQL: the same readings raise the same alerts with a warm
cache, a cold one, two workers (each with its own cache) taking turns on the same patients, and none at all."""

from __future__ import annotations

import random
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from alerts import lifecycle_store
from alerts.cache import HistoryCache
from alerts.engine import run_once
from device_profiles.codes import CODES
from tests.alerts.test_workers_db import _cohort, _snapshot
from tests.conftest import DatabaseFactory
from tests.support.platform import make_patient

NOW = datetime(2026, 3, 20, 9, 0, tzinfo=UTC)  # 10:00 in Copenhagen; every run judges as of this clock
PROGRAMMES = (("heart_failure",), ("copd",), ("diabetes", "hypertension"), ("heart_failure", "diabetes"))
DAYS = 40


@dataclass(frozen=True)
class Obs:
    id: uuid.UUID
    patient: int  # index into PROGRAMMES (patient ids are 1.. in a fresh database)
    code: str
    value: float
    measured_at: datetime
    received_at: datetime


Step = list[Obs] | tuple[str, int]  # readings delivered in one transaction, or ("pause"/"resume"/"resolve", patient)


def _day(rng: random.Random, patient: int, days_ago: float, sick: float) -> list[tuple[str, float, float]]:
    """(code, value, hours after 07:00) for one patient's day; ``sick`` 0..1 worsens the values."""
    conditions = PROGRAMMES[patient]
    out = [("bp_systolic", round(rng.gauss(128 + 14 * ("hypertension" in conditions), 5)), 0.0),
           ("bp_diastolic", round(rng.gauss(80, 3)), 0.0), ("pulse_rate", round(rng.gauss(72 + 25 * sick, 3)), 0.1)]
    if "heart_failure" in conditions:
        out.append(("body_weight", round(80 + 3.5 * sick + rng.gauss(0, 0.2), 1), -0.5))
        out.append(("spo2", round(rng.gauss(96 - 5 * sick, 0.7)), 0.2))
    if "copd" in conditions:
        out += [("spo2", round(rng.gauss(94 - 7 * sick, 0.7)), 0.2), ("spo2", round(rng.gauss(94 - 7 * sick, 0.7)), 9),
                ("fev1", round(rng.gauss(1.6 - 0.5 * sick, 0.05), 2), 0.3)]
    if "diabetes" in conditions:
        out += [("glucose", round(rng.gauss(7 + 9 * sick, 1.2), 1), h) for h in (0.5, 5, 11)]
        if days_ago == 2:
            out.append(("glucose", 2.9, -4.5))  # a night low
    return out


def _script(seed: int = 11) -> list[Step]:
    """40 days for four patients: in order, then out of order, a late backlog, a redelivery, a pause, a resolved
    alert, one batch per reading at the end, and one reading older than any cache keeps."""
    rng = random.Random(seed)
    midnight = NOW.replace(hour=6, minute=0)  # 07:00 local

    def obs(patient: int, days_ago: int, received: datetime | None = None) -> list[Obs]:
        sick = max(0.0, (4 - days_ago) / 4) if patient != 2 else 0.0
        rows = []
        for code, value, hours in _day(rng, patient, days_ago, sick):
            at = midnight - timedelta(days=days_ago) + timedelta(hours=hours, minutes=rng.randrange(30))
            rows.append(Obs(uuid.UUID(int=rng.getrandbits(128)), patient, code, value, at, received or at))
        return rows

    steps: list[Step] = []
    for d in range(DAYS, 8, -1):
        steps.append([o for p in range(len(PROGRAMMES)) for o in obs(p, d)])
        if d == 20:
            steps.append(("pause", 2))
        if d == 17:
            steps.append(("resume", 2))
    for d in (5, 7, 8, 6):  # out of order, a day per batch
        steps.append([o for p in range(len(PROGRAMMES)) for o in obs(p, d)])
    backlog = NOW - timedelta(hours=2)
    steps.append([o for d in (4, 3, 2) for p in range(len(PROGRAMMES)) for o in obs(p, d, backlog)])
    steps.append(("resolve", 0))
    last = [o for p in range(len(PROGRAMMES)) for o in [*obs(p, 1), *obs(p, 0)] if o.measured_at <= NOW]
    for k, o in enumerate(sorted(last, key=lambda o: o.measured_at)):
        steps.append([o])
        if k == len(last) * 3 // 4:
            steps.append(("resolve", 0))
    steps.append([last[3]])  # redelivered: queued again
    steps.append([Obs(uuid.UUID(int=rng.getrandbits(128)), 1, "spo2", 95, NOW - timedelta(days=120), NOW)])
    steps.append([Obs(uuid.UUID(int=rng.getrandbits(128)), 3, "body_weight", 84.1, NOW - timedelta(hours=1),
                      NOW - timedelta(hours=1))])
    return steps


def _deliver(conn: psycopg.Connection, patients: list[int], user: int, step: Step) -> None:
    if isinstance(step, tuple):
        action, p = step
        if action == "resolve":
            for (alert_id,) in conn.execute("SELECT id FROM alerts WHERE patient_id = %s AND status <> 'resolved'"
                                            " ORDER BY id", (patients[p],)).fetchall():
                lifecycle_store.resolve(conn, alert_id, user, "contacted_patient", clock=lambda: NOW)
        else:
            conn.execute("UPDATE patients SET status = %s WHERE id = %s",
                         ("paused" if action == "pause" else "active", patients[p]))
    else:  # as ingest writes a batch: the rows, and one queue row per patient
        by_patient: dict[int, list[uuid.UUID]] = {}
        for o in step:
            conn.execute("INSERT INTO observations (id, patient_id, code, value, unit, measured_at, received_at)"
                         " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                         (o.id, patients[o.patient], CODES[o.code].loinc, o.value, CODES[o.code].unit,
                          o.measured_at, o.received_at))
            by_patient.setdefault(patients[o.patient], []).append(o.id)
        for patient, ids in by_patient.items():
            _queue(conn, patient, ids)
    conn.commit()


def _queue(conn: psycopg.Connection, patient: int, ids: list[uuid.UUID]) -> None:
    conn.execute("INSERT INTO alert_queue (patient_id, observation_ids) VALUES (%s, %s)", (patient, ids))


def _replay(database_url: str, caches: Callable[[int], HistoryCache | None],
            turn: Callable[[int], int] = lambda k: 0) -> list[tuple]:
    """Deliver every step and evaluate it at once, step k on worker ``turn(k)`` (0 or 1) with ``caches(k)``."""
    patients = [make_patient(database_url, conditions=c, org_name="Team cache")[0] for c in PROGRAMMES]
    with psycopg.connect(database_url) as producer:
        user = producer.execute("INSERT INTO users (username, password_hash, display_name, role)"
                                " VALUES ('nurse', 'x', 'Nurse', 'nurse') RETURNING id").fetchone()[0]
        producer.commit()
        conns = [psycopg.connect(database_url) for _ in range(2)]
        try:
            for k, step in enumerate(_script()):
                _deliver(producer, patients, user, step)
                while run_once(conns[turn(k)], clock=lambda: NOW, cache=caches(k)) > 0:
                    pass
        finally:
            for c in conns:
                c.close()
        return producer.execute(
            "SELECT patient_id, rule, code, severity, status, late, evidence, value, observed_at, priority,"
            " outcome, explanation FROM alerts ORDER BY id").fetchall()


def test_same_alerts_with_warm_cold_two_workers_and_no_cache(db_factory: DatabaseFactory) -> None:
    uncached = _replay(db_factory.new(), lambda k: None)
    warm_cache = HistoryCache()
    warm = _replay(db_factory.new(), lambda k: warm_cache)
    cold = _replay(db_factory.new(), lambda k: HistoryCache())  # every batch reads every history again
    pair = (HistoryCache(), HistoryCache(max_patients=2))  # the second also evicts
    two = _replay(db_factory.new(), lambda k: pair[k % 2], lambda k: k % 2)
    # one worker takes every tenth batch: more evaluations happened without it than the database logs
    rare = (HistoryCache(), HistoryCache())
    uneven = _replay(db_factory.new(), lambda k: rare[k % 10 == 0], lambda k: int(k % 10 == 0))

    rules = {r[1] for r in uncached} | {a["rule"] for r in uncached for a in r[11].get("also", [])}
    assert {"threshold", "hf_weight", "copd_exacerbation", "bp_home_mean", "personal_baseline"} <= rules
    assert any(r[5] for r in uncached), "the backlog raised a late alert"
    assert any(r[4] == "resolved" and r[10] == "contacted_patient" for r in uncached)
    assert warm == uncached
    assert cold == uncached
    assert two == uncached
    assert uneven == uncached
    assert warm_cache.hits > 3 * warm_cache.misses  # the cache was used, not read again each time
    assert pair[0].caught_up + pair[1].caught_up > 2 * len(PROGRAMMES)  # stale after each turn; caught up
    assert rare[1].misses > len(PROGRAMMES)  # beyond the log: read again


def test_an_entry_is_reread_after_another_worker_evaluated_the_patient(database_url: str) -> None:
    patient, _, _ = make_patient(database_url)
    weight = CODES["body_weight"]
    mine, theirs = HistoryCache(), HistoryCache()
    with psycopg.connect(database_url) as a, psycopg.connect(database_url) as b, \
            psycopg.connect(database_url) as producer:

        def weigh(kg: float, days_ago: float) -> None:
            at = NOW - timedelta(days=days_ago)
            obs = uuid.uuid4()
            producer.execute("INSERT INTO observations (id, patient_id, code, value, unit, measured_at, received_at)"
                             " VALUES (%s, %s, %s, %s, %s, %s, %s)", (obs, patient, weight.loinc, kg, "kg", at, at))
            _queue(producer, patient, [obs])
            producer.commit()

        for d in range(20, 3, -1):
            weigh(81.0, d)
        run_once(a, clock=lambda: NOW, cache=mine)
        weigh(80.0, 2)
        run_once(b, clock=lambda: NOW, cache=theirs)  # a's entry no longer holds everything
        weigh(82.2, 1)
        misses = mine.misses
        run_once(a, clock=lambda: NOW, cache=mine)
        assert (mine.misses, mine.caught_up) == (misses, 1)  # seen as stale; b's reading read by its id
        held = mine.get(patient)
        assert held is not None
        assert [r.value for r in held.get("body_weight")] == [81.0] * 17 + [80.0, 82.2]
        run_once(b, clock=lambda: NOW, cache=theirs)  # nothing queued: b evaluates nothing, bumps nothing
        weigh(82.4, 0)
        run_once(a, clock=lambda: NOW, cache=mine)
        assert (mine.misses, mine.caught_up) == (misses, 1)  # a evaluated last: its entry is current
        assert [r.value for r in held.get("body_weight")][-3:] == [80.0, 82.2, 82.4]
        for kg in (82.5, 82.3, 82.6, 82.4, 82.7, 82.5, 82.8, 82.6):  # b evaluates more than the log keeps
            weigh(kg, 0)
            run_once(b, clock=lambda: NOW, cache=theirs)
        weigh(82.9, 0)
        run_once(a, clock=lambda: NOW, cache=mine)
        assert (mine.misses, mine.caught_up) == (misses + 1, 1)  # read again
        held = mine.get(patient)
        assert held is not None and len(held.get("body_weight")) == 17 + 3 + 8 + 1


def test_a_failed_evaluation_forgets_what_it_touched(database_url: str) -> None:
    patient, _, _ = make_patient(database_url)
    cache = HistoryCache()
    with psycopg.connect(database_url) as conn:
        conn.execute("INSERT INTO observations (id, patient_id, code, value, unit, measured_at, received_at)"
                     " VALUES (%s, %s, '8867-4', 70, '/min', %s, %s)", (uuid.uuid4(), patient, NOW, NOW))
        conn.execute("INSERT INTO alert_queue (patient_id, observation_ids) SELECT patient_id, ARRAY[id]"
                     " FROM observations")
        conn.commit()

        calls = []

        def failing() -> datetime:  # fails once the batch is read and the history cached: mid-evaluation
            calls.append(1)
            if len(calls) > 2:
                raise RuntimeError("clock failed")
            return NOW

        with pytest.raises(RuntimeError):
            run_once(conn, clock=failing, cache=cache)
        assert cache.misses == 1 and len(cache) == 0
        assert conn.execute("SELECT count(*) FROM alert_queue").fetchone() == (1,)  # rolled back: still queued
        conn.commit()
        assert run_once(conn, clock=lambda: NOW, cache=cache) == 1
        assert len(cache) == 1


def test_concurrent_workers_with_caches_write_what_one_writes(db_factory: DatabaseFactory) -> None:
    one, two = db_factory.new(), db_factory.new()
    _cohort(one)
    _cohort(two)
    with psycopg.connect(one) as conn:
        while run_once(conn, limit=7) > 0:
            pass

    def work(cache: HistoryCache) -> None:
        with psycopg.connect(two) as conn:
            while run_once(conn, limit=7, cache=cache) > 0:
                pass

    threads = [threading.Thread(target=work, args=(HistoryCache(),)) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert _snapshot(two) == _snapshot(one)
