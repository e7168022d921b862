"""One batch of MQTT messages into the database in one transaction: validate, bind, quarantine, write."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import psycopg
from pydantic import ValidationError

from device_profiles.wire import GatewayStatus, gateway_id_from_topic
from ingest.store import Assignments, Bound, WriteResult, known_gateways, quarantine, write_observations
from ingest.validate import WireReading, check_message, reading_json


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
    accepted: list[tuple[Message, str, tuple[WireReading, ...]]] = []
    for msg in messages:
        if msg.topic.endswith("/status"):
            problem = _status(conn, msg)
            if problem:
                out.rejected.append(problem)
            continue
        checked = check_message(msg.topic, msg.payload, now, gateways)
        out.rejected.extend((msg.topic, r.payload, r.reason) for r in checked.rejected)
        if checked.gateway_id is not None and checked.accepted:
            accepted.append((msg, checked.gateway_id, checked.accepted))
    assignments = Assignments.load(conn, sorted({g for _, g, _ in accepted}))
    for msg, gateway_id, readings in accepted:
        _bind(out, msg, gateway_id, readings, assignments.binder(gateway_id))
    return out


def _bind(out: Prepared, msg: Message, gateway_id: str, readings: Sequence[WireReading],
          patient_at: Callable[[datetime, int | None], int | None]) -> None:
    """Bind one message's readings through its kit's assignment at each measured time; unbound ones are
    quarantined with the reason."""
    bound = out.bound
    for r in readings:
        user_index = r.get("user_index")
        patient_id = patient_at(r["measured_at"], user_index)
        if patient_id is None:
            reason = f"kit {gateway_id} was not assigned to a patient at {r['measured_at'].isoformat()}"
            out.rejected.append((msg.topic, reading_json(r), reason))
            continue
        device = r["device"]
        bound.append(Bound(r["id"], patient_id, r["code"], r["value"], r["unit"], r["measured_at"],
                           r["received_at"], gateway_id, device["id"], device["profile"], user_index,
                           r.get("source", "automatic"), list(r.get("flags", ()))))


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
