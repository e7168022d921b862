"""The hand-off to the alert core: one alert-queue row per batch and patient, claimed by readings, and the
migration that turned the old one-row-per-reading queue into it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg import sql

from alerts import store
from device_profiles.wire import DeviceRef, ObservationBatch, WireObservation, topic
from ingest.migrate import available, migrate
from ingest.pipeline import Message, process
from ingest.settings import IngestSettings
from tests.support.platform import make_patient

NOW = datetime.now(UTC).replace(microsecond=0)


def _batch(gateway_id: str, n: int) -> Message:
    observations = tuple(
        WireObservation(id=uuid.uuid4(), code="8867-4", value=60 + i, unit="/min",
                        measured_at=NOW - timedelta(minutes=i + 1), received_at=NOW,
                        device=DeviceRef(id="C0:00:00:00:00:02", profile="nonin_3230"))
        for i in range(n))
    payload = ObservationBatch(gateway_id=gateway_id, sent_at=NOW, observations=observations).model_dump_json()
    return Message(topic(gateway_id, "obs"), payload.encode())


def test_a_batch_queues_one_row_per_patient_with_all_its_readings(database_url: str) -> None:
    (p1, gw1, _), (p2, gw2, _) = make_patient(database_url), make_patient(database_url)
    with psycopg.connect(database_url) as conn:
        result = process(conn, [_batch(gw1, 3), _batch(gw2, 2), _batch(gw1, 4)])
        conn.commit()
        queued = conn.execute("SELECT patient_id, observation_ids FROM alert_queue ORDER BY patient_id").fetchall()
        stored = dict(conn.execute("SELECT patient_id, array_agg(id) FROM observations GROUP BY 1").fetchall())
        depth = store.queue_depth(conn)
    assert result.inserted == 9
    assert [(p, len(ids)) for p, ids in queued] == [(p1, 7), (p2, 2)]
    assert {p: set(ids) for p, ids in queued} == {p: set(ids) for p, ids in stored.items()}
    assert depth == 9


def test_duplicates_are_not_queued_again(database_url: str) -> None:
    _, gw, _ = make_patient(database_url)
    message = _batch(gw, 3)
    with psycopg.connect(database_url) as conn:
        process(conn, [message])
        conn.commit()
        again = process(conn, [message])
        conn.commit()
        rows = conn.execute("SELECT count(*), sum(cardinality(observation_ids)) FROM alert_queue").fetchone()
    assert (again.inserted, again.duplicates) == (0, 3)
    assert rows == (1, 3)


def test_claim_takes_about_limit_readings_in_queue_order(database_url: str) -> None:
    (p1, gw1, _), (p2, gw2, _) = make_patient(database_url), make_patient(database_url)
    with psycopg.connect(database_url) as conn:
        for gw in (gw1, gw2, gw1, gw2):  # four batches of three readings: four queue rows
            process(conn, [_batch(gw, 3)])
            conn.commit()
        with conn.transaction():
            first = store.claim(conn, limit=5)  # two rows: 3 readings before the second, fewer than 5
        with conn.transaction():
            second = store.claim(conn, limit=1)  # always at least one row, even beyond the limit
        with conn.transaction():
            rest = store.claim(conn, limit=100)
        with conn.transaction():
            empty = store.claim(conn, limit=100)
    assert {p: len(ids) for p, ids in first.items()} == {p1: 3, p2: 3}
    assert {p: len(ids) for p, ids in second.items()} == {p1: 3}
    assert {p: len(ids) for p, ids in rest.items()} == {p2: 3}
    assert empty == {}


def test_two_claims_at_once_split_the_queue(database_url: str) -> None:
    patients = [make_patient(database_url) for _ in range(4)]
    with psycopg.connect(database_url) as a, psycopg.connect(database_url) as b:
        for _, gw, _ in patients:
            process(a, [_batch(gw, 2)])
            a.commit()
        with a.transaction():
            claimed_a = store.claim(a, limit=4)
            with b.transaction():
                claimed_b = store.claim(b, limit=100)  # skips the rows a holds
    ids_a = {i for ids in claimed_a.values() for i in ids}
    ids_b = {i for ids in claimed_b.values() for i in ids}
    assert len(ids_a) == 4 and len(ids_b) == 4 and not ids_a & ids_b


def test_the_migration_keeps_readings_queued_the_old_way(pg_server_url: str) -> None:
    name = f"nc_t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = pg_server_url.rsplit("/", 1)[0] + "/" + name
    try:
        obs = [uuid.uuid4(), uuid.uuid4()]
        with psycopg.connect(url) as conn:  # the schema as it was before the queue held arrays
            conn.execute("CREATE TABLE schema_migrations (version int PRIMARY KEY, name text NOT NULL,"
                         " applied_at timestamptz NOT NULL DEFAULT now())")
            for m in available():
                if m.version < 3:
                    m.run(conn, IngestSettings(retention=None))
                    conn.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                                 (m.version, m.name))
            conn.execute("INSERT INTO alert_queue (patient_id, observation_id) VALUES (7, %s), (7, %s)",
                         tuple(obs))
        assert 3 in migrate(url, IngestSettings(retention=None))
        with psycopg.connect(url) as conn:
            rows = conn.execute("SELECT patient_id, observation_ids FROM alert_queue ORDER BY id").fetchall()
            columns = {r[0] for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'alert_queue'")}
            with conn.transaction():
                claimed = store.claim(conn)
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    assert rows == [(7, [obs[0]]), (7, [obs[1]])]
    assert "observation_id" not in columns and "observation_ids" in columns
    assert claimed == {7: obs}
