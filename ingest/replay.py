"""Quarantine after the fact: re-run quarantined messages through the pipeline once the cause is fixed (a kit
assigned late, a gateway registered), and count what is in quarantine by kind of reason for the admin view."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

import psycopg
import structlog
from pydantic import ValidationError

from device_profiles.wire import ObservationBatch, WireObservation, gateway_id_from_topic
from ingest.pipeline import Message, Prepared, prepare, write

log = structlog.get_logger(__name__)

# Reasons carry specifics (ids, values, times); the admin view counts them by kind.
_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple((kind, re.compile(pattern)) for kind, pattern in (
    ("malformed", r"^not JSON|^not an observation batch|^not a gateway status|is not a gateway topic"),
    ("spoofed_gateway", r"differs from topic"),
    ("unknown_gateway", r"^unknown gateway"),
    ("unassigned_kit", r"was not assigned to a patient"),
    ("unknown_code", r"^unknown code"),
    ("wrong_unit", r"^unit .* is not"),
    ("out_of_range", r"outside the possible range"),
    ("future_time", r"is in the future"),
    ("ingest_error", r"^ingest error"),
))


def reason_kind(reason: str) -> str:
    for kind, pattern in _KINDS:
        if pattern.search(reason):
            return kind
    return "other"


@dataclass(frozen=True)
class QuarantineCount:
    kind: str
    total: int  # received in the period
    pending: int  # of those, not replayed yet
    last_at: datetime
    example: str  # one reason of this kind, as stored


def quarantine_summary(conn: psycopg.Connection, days: int = 7) -> list[QuarantineCount]:
    """Quarantined messages of the last ``days`` days by kind of reason, most frequent first."""
    rows = conn.execute(
        "SELECT reason, count(*), count(*) FILTER (WHERE replayed_at IS NULL), max(received_at)"
        " FROM quarantine WHERE received_at >= now() - make_interval(days => %s) GROUP BY reason",
        (days,),
    ).fetchall()
    folded: dict[str, QuarantineCount] = {}
    for reason, total, pending, last_at in rows:
        kind = reason_kind(reason)
        seen = folded.get(kind)
        if seen is None:
            folded[kind] = QuarantineCount(kind, total, pending, last_at, reason)
        else:
            folded[kind] = QuarantineCount(kind, seen.total + total, seen.pending + pending,
                                           max(seen.last_at, last_at), seen.example)
    return sorted(folded.values(), key=lambda c: (-c.total, c.kind))


@dataclass
class ReplayReport:
    examined: int = 0  # quarantine rows looked at
    replayed: int = 0  # rows whose content is now (at least partly) stored; marked replayed_at
    stored: int = 0  # observations inserted
    duplicates: int = 0  # observations that were already stored
    still_bad: int = 0  # rows left in quarantine unchanged
    split_off: int = 0  # rejected parts of replayed rows, quarantined anew on their own
    reasons: dict[str, int] = field(default_factory=dict)  # why the still-bad rows are still bad, by kind


def _as_message(topic: str, payload: bytes) -> Message:
    """A single observation rejected out of its batch was stored on its own; wrap it in a batch again."""
    gateway_id = gateway_id_from_topic(topic)
    if gateway_id is not None and not topic.endswith("/status"):
        try:
            obs = WireObservation.model_validate_json(payload)
        except ValidationError:
            return Message(topic, payload)
        batch = ObservationBatch(gateway_id=gateway_id, sent_at=obs.received_at, observations=(obs,))
        return Message(topic, batch.model_dump_json().encode())
    return Message(topic, payload)


def replay_quarantine(conn: psycopg.Connection, *, days: int | None = None, kind: str | None = None,
                      ids: list[int] | None = None, chunk: int = 500, dry_run: bool = False) -> ReplayReport:
    """Re-run pending quarantined messages through validation and binding, one transaction per chunk.

    A row whose content now passes is stored and marked replayed_at; a row still wholly rejected stays as it
    is; the rejected parts of a partly stored row are quarantined anew, each with its own reason. Duplicates
    are harmless (the database keeps one row per observation id). Rows locked by a concurrent replay are skipped.
    """
    report = ReplayReport()
    last_id = 0
    while True:
        with conn.transaction() as tx:
            rows = conn.execute(
                "SELECT id, topic, payload, reason FROM quarantine WHERE replayed_at IS NULL AND id > %s"
                " AND (%s::int IS NULL OR received_at >= now() - make_interval(days => %s::int))"
                " AND (%s::bigint[] IS NULL OR id = ANY(%s::bigint[]))"
                " ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED",
                (last_id, days, days, ids, ids, chunk),
            ).fetchall()
            if not rows:
                break
            last_id = rows[-1][0]
            done: list[int] = []
            total = Prepared()
            for qid, topic, payload, reason in rows:
                if kind is not None and reason_kind(reason) != kind:
                    continue
                report.examined += 1
                prepared = prepare(conn, [_as_message(topic, bytes(payload))])
                if not prepared.bound:
                    report.still_bad += 1
                    now_kind = reason_kind(prepared.rejected[0][2]) if prepared.rejected else "other"
                    report.reasons[now_kind] = report.reasons.get(now_kind, 0) + 1
                    continue
                done.append(qid)
                total.bound.extend(prepared.bound)
                total.rejected.extend(prepared.rejected)
            result = write(conn, total)
            report.replayed += len(done)
            report.stored += result.inserted
            report.duplicates += result.duplicates
            report.split_off += result.quarantined
            if done:
                conn.execute("UPDATE quarantine SET replayed_at = now() WHERE id = ANY(%s)", (done,))
            if dry_run:
                raise psycopg.Rollback(tx)
        log.info("quarantine_replay_progress", examined=report.examined, stored=report.stored,
                 still_bad=report.still_bad)
    return report
