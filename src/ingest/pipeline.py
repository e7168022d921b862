"""One batch of MQTT messages into the database in one transaction: validate, bind, quarantine, write."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
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


def process(conn: psycopg.Connection, messages: Sequence[Message], now: datetime | None = None) -> WriteResult:
    """Store what is valid, quarantine the rest with its reason; the caller commits, then acknowledges."""
    now = now or datetime.now(UTC)
    gateways = known_gateways(conn)
    to_quarantine: list[tuple[str, bytes, str]] = []
    accepted: list[tuple[str, Message, WireObservation]] = []
    for msg in messages:
        if msg.topic.endswith("/status"):
            problem = _status(conn, msg)
            if problem:
                to_quarantine.append(problem)
            continue
        checked = check_message(msg.topic, msg.payload, now, gateways)
        to_quarantine.extend((msg.topic, r.payload, r.reason) for r in checked.rejected)
        if checked.batch is not None:
            accepted.extend((checked.batch.gateway_id, msg, o) for o in checked.accepted)
    assignments = Assignments.load(conn, sorted({g for g, _, _ in accepted}))
    bound: list[Bound] = []
    for gateway_id, msg, obs in accepted:
        patient_id = assignments.patient_at(gateway_id, obs.measured_at)
        if patient_id is None:
            reason = f"kit {gateway_id} was not assigned to a patient at {obs.measured_at.isoformat()}"
            to_quarantine.append((msg.topic, obs.model_dump_json().encode(), reason))
        else:
            bound.append(Bound(gateway_id, patient_id, obs))
    if bound:
        conn.execute("UPDATE gateways SET last_seen_at = greatest(last_seen_at, now()) WHERE id = ANY(%s)",
                     (sorted({b.gateway_id for b in bound}),))
    inserted, duplicates = write_observations(conn, bound)
    quarantined = quarantine(conn, to_quarantine)
    return WriteResult(inserted, duplicates, quarantined)
