"""Whatever arrives on a gateway topic is stored or quarantined with a reason; the pipeline never raises.

A corpus of malformed payloads (tests/reliability/corpus/, see its README) runs through
``ingest.pipeline.process`` on a real database; hypothesis feeds the wire parser random bytes and valid
batches with one part replaced by random JSON.
"""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ingest.pipeline import Message, process
from ingest.validate import check_message
from tests.conftest import DatabaseFactory
from tests.support.wire_fuzz import JSON, PATHS

CORPUS = Path(__file__).parent / "corpus"
GATEWAY = "kit-fuzz"
TOPIC = f"nearcare/v1/gw/{GATEWAY}/obs"
NOW = datetime(2026, 1, 16, tzinfo=UTC)
# Known gaps in the pipeline, kept here until fixed (strict: the test fails once they pass).
KNOWN: dict[str, str] = {}


@pytest.fixture(scope="module")
def conn(db_factory: DatabaseFactory) -> Iterator[psycopg.Connection]:
    """A patient with kit-fuzz assigned since 2000; each case runs in a transaction rolled back after it."""
    with psycopg.connect(db_factory.new()) as c:
        org = c.execute("INSERT INTO organisations (name, kind) VALUES ('Fuzz', 'nursing_team') RETURNING id"
                        ).fetchone()[0]  # type: ignore[index]
        patient = c.execute("INSERT INTO patients (display_name, nursing_org_id, gp_org_id) VALUES ('P', %s, %s)"
                            " RETURNING id", (org, org)).fetchone()[0]  # type: ignore[index]
        c.execute("INSERT INTO gateways (id) VALUES (%s)", (GATEWAY,))
        c.execute("INSERT INTO kit_assignments (gateway_id, patient_id, valid_from) VALUES (%s, %s, '2000-01-01')",
                  (GATEWAY, patient))
        c.commit()
        yield c


class _Rollback(Exception):
    pass


def _through_pipeline(conn: psycopg.Connection, payload: bytes) -> tuple[int, int, int, list[str]]:
    """(inserted, duplicates, quarantined, reasons), leaving the database as it was."""
    out: tuple[int, int, int, list[str]] = (0, 0, 0, [])
    try:
        with conn.transaction():
            result = process(conn, [Message(TOPIC, payload)], now=NOW)
            reasons = [r for (r,) in conn.execute("SELECT reason FROM quarantine").fetchall()]
            out = (result.inserted, result.duplicates, result.quarantined, reasons)
            raise _Rollback
    except _Rollback:
        pass
    return out


def _corpus() -> list[Any]:
    return [pytest.param(p, id=p.name, marks=pytest.mark.xfail(strict=True, reason=KNOWN[p.name]))
            if p.name in KNOWN else pytest.param(p, id=p.name)
            for p in sorted(CORPUS.iterdir()) if p.name != "README.md"]


@pytest.mark.parametrize("path", _corpus())
def test_corpus(conn: psycopg.Connection, path: Path) -> None:
    inserted, duplicates, quarantined, reasons = _through_pipeline(conn, path.read_bytes())
    assert all(r.strip() for r in reasons) and len(reasons) == quarantined
    if path.name.startswith("valid_"):
        assert inserted >= 1 and quarantined == 0, reasons
    elif path.name.startswith("mixed_"):
        assert inserted >= 1 and quarantined >= 1
    else:
        assert inserted == 0 and duplicates == 0 and quarantined >= 1


def test_the_corpus_covers_the_wire_parser() -> None:
    assert len(_corpus()) >= 40


@settings(max_examples=500, deadline=None)
@given(st.binary(max_size=2048))
def test_any_bytes_are_split_into_accepted_and_rejected(payload: bytes) -> None:
    checked = check_message(TOPIC, payload, NOW, {GATEWAY})
    assert all(r.reason.strip() for r in checked.rejected)
    assert checked.accepted or checked.rejected  # nothing vanishes without a reason


VALID: dict[str, Any] = json.loads((CORPUS / "valid_one_reading.json").read_text())


def _mutated(path: tuple[str | int, ...], value: Any) -> bytes:
    doc = copy.deepcopy(VALID)
    doc["observations"][0]["id"] = str(uuid.uuid4())
    target: Any = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return json.dumps(doc).encode()


@settings(max_examples=300, deadline=None)
@given(PATHS, JSON)
def test_a_valid_batch_with_one_part_replaced_never_raises(path: tuple[str | int, ...], value: Any) -> None:
    checked = check_message(TOPIC, _mutated(path, value), NOW, {GATEWAY})
    assert all(r.reason.strip() for r in checked.rejected)
    assert len(checked.accepted) + len(checked.rejected) >= 1


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=PATHS, value=JSON)
def test_mutated_batches_through_the_database(conn: psycopg.Connection, path: tuple[str | int, ...],
                                              value: Any) -> None:
    inserted, duplicates, quarantined, reasons = _through_pipeline(conn, _mutated(path, value))
    assert inserted + duplicates + quarantined >= 1
    assert all(r.strip() for r in reasons)
