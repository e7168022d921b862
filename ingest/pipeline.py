"""One batch of MQTT messages into the database in one transaction: validate, bind, quarantine, write."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psycopg
from pydantic import ValidationError

from device_profiles.wire import GatewayStatus, WireObservation, gateway_id_from_topic
from ingest.store import Assignments, Bound, WriteResult, known_gateways, quarantine, write_observations
from ingest.validate import check_message


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes


@dataclass
class Prepared:
    """What a set of messages comes to: observations bound to patients, and (topic, payload, reason) rejects."""

    bound: list[Bound] = field(default_factory=list)
    rejected: list[tuple[str, bytes, str]] = field(default_factory=list)


def _status(conn: psycopg.Connection, msg: Message) -> tuple[str, bytes, str] | None:
    gateway_id = gateway_id_from_topic(msg.topic)
    try:
        status = GatewayStatus.model_validate_json(msg.payload)
    except ValidationError as exc:
        return (msg.topic, msg.payload, f"not a gateway status: {exc.errors()[0].get('msg')}")
    if status.gateway_id != gateway_id:
        return (msg.topic, msg.payload, "gateway id in status differs from topic")
    conn.execute(
        "UPDATE gateways SET online = %s, status = %s,"
        " last_seen_at = CASE WHEN %s THEN now() ELSE last_seen_at END WHERE id = %s",
        (status.online, json.dumps(status.model_dump(mode="json")), status.online, gateway_id),
    )
    return None


def prepare(conn: psycopg.Connection, messages: Sequence[Message], now: datetime | None = None) -> Prepared:
    """Validate and bind without writing observations (gateway status messages are applied)."""
    now = now or datetime.now(UTC)
    gateways = known_gateways(conn, {g for m in messages if (g := gateway_id_from_topic(m.topic))})
    out = Prepared()
    accepted: list[tuple[str, Message, WireObservation]] = []
    for msg in messages:
        if msg.topic.endswith("/status"):
            problem = _status(conn, msg)
            if problem:
                out.rejected.append(problem)
            continue
        checked = check_message(msg.topic, msg.payload, now, gateways)
        out.rejected.extend((msg.topic, r.payload, r.reason) for r in checked.rejected)
        if checked.batch is not None:
            accepted.extend((checked.batch.gateway_id, msg, o) for o in checked.accepted)
    assignments = Assignments.load(conn, sorted({g for g, _, _ in accepted}))
    for gateway_id, msg, obs in accepted:
        patient_id = assignments.patient_at(gateway_id, obs.measured_at, obs.user_index)
        if patient_id is None:
            reason = f"kit {gateway_id} was not assigned to a patient at {obs.measured_at.isoformat()}"
            out.rejected.append((msg.topic, obs.model_dump_json().encode(), reason))
        else:
            out.bound.append(Bound(gateway_id, patient_id, obs))
    return out


def write(conn: psycopg.Connection, prepared: Prepared, *, quarantine_rejected: bool = True) -> WriteResult:
    if prepared.bound:
        conn.execute("UPDATE gateways SET last_seen_at = greatest(last_seen_at, now()) WHERE id = ANY(%s)",
                     (sorted({b.gateway_id for b in prepared.bound}),))
    inserted, duplicates = write_observations(conn, prepared.bound)
    quarantined = quarantine(conn, prepared.rejected) if quarantine_rejected else len(prepared.rejected)
    return WriteResult(inserted, duplicates, quarantined)


def process(conn: psycopg.Connection, messages: Sequence[Message], now: datetime | None = None) -> WriteResult:
    """Store what is valid, quarantine the rest with its reason; the caller commits, then acknowledges."""
    return write(conn, prepare(conn, messages, now))
