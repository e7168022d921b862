"""Replaying quarantine after a fix, and the admin's counts by reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import psycopg
from typer.testing import CliRunner

from device_profiles.wire import topic
from ingest.pipeline import Message, process
from ingest.replay import quarantine_summary, reason_kind, replay_quarantine
from nearcare.cli import app
from tests.ingest.test_quarantine import batch, obs
from tests.support.platform import make_patient


def _assign(conn: psycopg.Connection, gateway_id: str, patient: int) -> None:
    conn.execute("INSERT INTO gateways (id) VALUES (%s) ON CONFLICT DO NOTHING", (gateway_id,))
    conn.execute("INSERT INTO kit_assignments (gateway_id, patient_id, valid_from) VALUES (%s, %s, %s)",
                 (gateway_id, patient, datetime.now(UTC) - timedelta(days=1)))


def _counts(conn: psycopg.Connection) -> tuple[int, int, int]:
    row = conn.execute("SELECT (SELECT count(*) FROM observations), (SELECT count(*) FROM quarantine),"
                       " (SELECT count(*) FROM quarantine WHERE replayed_at IS NULL)").fetchone()
    assert row
    return int(row[0]), int(row[1]), int(row[2])


def test_a_kit_assigned_later_gets_its_readings_on_replay(database_url: str) -> None:
    patient, _, _ = make_patient(database_url)
    with psycopg.connect(database_url) as conn:
        conn.execute("INSERT INTO gateways (id) VALUES ('kit-late')")
        process(conn, [Message(topic("kit-late", "obs"), batch("kit-late", obs(), obs(code="8462-4", value=80)))])
        conn.commit()
        assert _counts(conn) == (0, 2, 2)  # each reading quarantined on its own, as unassigned

        report = replay_quarantine(conn)
        assert (report.examined, report.replayed, report.still_bad) == (2, 0, 2)
        assert report.reasons == {"unassigned_kit": 2}
        assert _counts(conn) == (0, 2, 2)  # nothing changed

        _assign(conn, "kit-late", patient)
        conn.commit()
        report = replay_quarantine(conn, kind="unassigned_kit")
        assert (report.examined, report.replayed, report.stored, report.still_bad) == (2, 2, 2, 0)
        assert _counts(conn) == (2, 2, 0)
        assert replay_quarantine(conn).examined == 0  # replayed rows are not replayed again


def test_a_registered_gateway_replays_its_batch_and_splits_off_what_is_still_bad(database_url: str) -> None:
    patient, _, _ = make_patient(database_url)
    good, absurd, already = obs(), obs(value=900), obs(minutes_ago=30)
    with psycopg.connect(database_url) as conn:
        process(conn, [Message(topic("kit-new", "obs"), batch("kit-new", good, absurd, already))])
        conn.commit()
        assert _counts(conn) == (0, 1, 1)  # the whole message: unknown gateway
        _assign(conn, "kit-new", patient)
        process(conn, [Message(topic("kit-new", "obs"), batch("kit-new", already))])  # sent again meanwhile
        conn.commit()

        dry = replay_quarantine(conn, dry_run=True)
        assert (dry.replayed, dry.stored, dry.duplicates, dry.split_off) == (1, 1, 1, 1)
        assert _counts(conn) == (1, 1, 1)  # a dry run changes nothing

        report = replay_quarantine(conn)
        assert (report.replayed, report.stored, report.duplicates, report.split_off) == (1, 1, 1, 1)
        (n_obs, n_quarantine, pending) = _counts(conn)
        assert (n_obs, n_quarantine, pending) == (2, 2, 1)
        (reason,) = conn.execute("SELECT reason FROM quarantine WHERE replayed_at IS NULL").fetchone() or ("",)
        assert "outside the possible range" in reason


def test_quarantine_summary_counts_by_kind(database_url: str) -> None:
    _, gateway_id, _ = make_patient(database_url)
    with psycopg.connect(database_url) as conn:
        process(conn, [
            Message(topic(gateway_id, "obs"), b"{not json"),
            Message(topic(gateway_id, "obs"), b"[]"),
            Message(topic(gateway_id, "obs"), batch(gateway_id, obs(value=900), obs(value=-5), obs())),
            Message(topic("kit-x", "obs"), batch("kit-x", obs())),
        ])
        conn.execute("UPDATE quarantine SET replayed_at = now() WHERE reason LIKE 'unknown gateway%'")
        conn.execute("INSERT INTO quarantine (topic, payload, reason, received_at)"
                     " VALUES ('t', '', 'not JSON: old', now() - interval '30 days')")
        conn.commit()
        counts = {c.kind: (c.total, c.pending) for c in quarantine_summary(conn, days=7)}
        everything = {c.kind: c.total for c in quarantine_summary(conn, days=60)}
    assert counts == {"malformed": (2, 2), "out_of_range": (2, 2), "unknown_gateway": (1, 0)}
    assert everything["malformed"] == 3


def test_reason_kinds() -> None:
    assert reason_kind("unit 'kPa' is not 'mm[Hg]' for bp_systolic") == "wrong_unit"
    assert reason_kind("gateway id 'a' in payload differs from topic gateway 'b'") == "spoofed_gateway"
    assert reason_kind("measured time 2030-01-01T00:00:00+00:00 is in the future") == "future_time"
    assert reason_kind("ingest error: KeyError: 'x'") == "ingest_error"
    assert reason_kind("something new") == "other"


def test_the_cli_replays_and_counts(database_url: str) -> None:
    patient, _, _ = make_patient(database_url)
    with psycopg.connect(database_url) as conn:
        conn.execute("INSERT INTO gateways (id) VALUES ('kit-cli')")
        process(conn, [Message(topic("kit-cli", "obs"), batch("kit-cli", obs()))])
        conn.commit()
        _assign(conn, "kit-cli", patient)
    env = {"NEARCARE_DATABASE_URL": database_url, "NEARCARE_LOG_FORMAT": "json"}
    runner = CliRunner()
    counted = runner.invoke(app, ["ingest", "quarantine", "--json"], env=env)
    assert counted.exit_code == 0, counted.output
    assert [(c["kind"], c["pending"]) for c in json.loads(counted.stdout)] == [("unassigned_kit", 1)]
    replayed = runner.invoke(app, ["ingest", "replay-quarantine", "--json"], env=env)
    assert replayed.exit_code == 0, replayed.output
    assert json.loads(replayed.stdout.strip().splitlines()[-1])["stored"] == 1
    text = runner.invoke(app, ["ingest", "replay-quarantine"], env=env)
    assert "examined 0 quarantined messages" in text.stdout
