"""Missing data: the likely cause named with its evidence (table), and the periodic sweep against PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import psycopg
import pytest
from psycopg.types.json import Jsonb

from alerts import missing
from alerts.engine import run_once
from alerts.rules import no_data
from tests.support.platform import make_patient

NOW = datetime(2026, 3, 20, 10, 30, tzinfo=UTC)  # 11:30 in Copenhagen: the 10:00 weight is overdue
PLAN = no_data.Plan(1, "body_weight", "daily", time(10, 0))
DEV = "AA:BB:CC:DD:EE:01"
DB_NOW = datetime.now(UTC).replace(hour=10, minute=30, second=0, microsecond=0)


def kit(online: bool = True, seen_min: float = 1, device: dict | None = None, outbox: int = 0) -> no_data.Kit:
    devices = {DEV: device} if device is not None else {}
    return no_data.Kit("gw-1", online, NOW - timedelta(minutes=seen_min),
                       {"outbox_depth": outbox, "devices": devices})


def dev(seen_h: float = 20, battery: float | None = None, failures: int = 0, now: datetime = NOW) -> dict:
    return {"last_seen": (now - timedelta(hours=seen_h)).isoformat(), "battery": battery, "failures": failures}


YESTERDAY = NOW - timedelta(days=1)
CASES = [
    ("measured today", no_data.Evidence(NOW - timedelta(hours=3), DEV, kit(device=dev())), None),
    ("gateway offline", no_data.Evidence(YESTERDAY, DEV, kit(online=False, device=dev())), "gateway_offline"),
    ("gateway heartbeat old", no_data.Evidence(YESTERDAY, DEV, kit(seen_min=40, device=dev())), "gateway_offline"),
    ("no kit", no_data.Evidence(YESTERDAY, DEV, None), "no_kit"),
    ("device unknown to gateway", no_data.Evidence(YESTERDAY, DEV, kit()), "device_not_seen"),
    ("device not seen for 2 days", no_data.Evidence(YESTERDAY, DEV, kit(device=dev(seen_h=48))), "device_not_seen"),
    ("battery low", no_data.Evidence(YESTERDAY, DEV, kit(device=dev(battery=12))), "device_battery_low"),
    ("transfer failures", no_data.Evidence(YESTERDAY, DEV, kit(device=dev(failures=4))), "device_errors"),
    ("device used this morning", no_data.Evidence(YESTERDAY, DEV, kit(device=dev(seen_h=2))), "server_delay"),
    ("outbox not empty", no_data.Evidence(YESTERDAY, DEV, kit(device=dev(), outbox=3)), "server_delay"),
    ("all fine: patient did not measure", no_data.Evidence(YESTERDAY, DEV, kit(device=dev())),
     "patient_not_measured"),
]


@pytest.mark.parametrize(("name", "ev", "expected"), CASES, ids=[c[0] for c in CASES])
def test_causes(name: str, ev: no_data.Evidence, expected: str | None) -> None:
    found = no_data.evaluate(PLAN, ev, NOW)
    assert (found.cause if found else None) == expected
    if found:
        assert found.remind_patient == (expected == "patient_not_measured")  # no reminder to a dead kit


def test_not_due_before_the_due_time() -> None:
    assert no_data.evaluate(PLAN, no_data.Evidence(YESTERDAY, DEV, kit(device=dev())), NOW - timedelta(hours=2)) is None


def test_text_names_the_cause() -> None:
    found = no_data.evaluate(PLAN, no_data.Evidence(YESTERDAY, DEV, kit(online=False)), NOW)
    assert found is not None
    assert found.explanation["text"]["en"].startswith("No body weight by 10:00: likely the home gateway is offline")  # type: ignore[index]


def test_sweep_opens_once_names_the_cause_and_closes_on_arrival(database_url: str) -> None:
    # the kit assignment runs from 90 days before the real today
    patient, gateway, _ = make_patient(database_url)
    with psycopg.connect(database_url) as conn:
        conn.execute("INSERT INTO measurement_plans (patient_id, code, due_by) VALUES (%s, 'body_weight', '10:00')",
                     (patient,))
        conn.execute("UPDATE gateways SET online = true, last_seen_at = %s, status = %s WHERE id = %s",
                     (DB_NOW - timedelta(minutes=1), Jsonb({"devices": {DEV: dev(now=DB_NOW)}}), gateway))
        conn.execute("INSERT INTO observations (id, patient_id, code, value, unit, measured_at, received_at,"
                     " device_id) VALUES (gen_random_uuid(), %s, '29463-7', 80, 'kg', %s, %s, %s)",
                     (patient, DB_NOW - timedelta(days=1), DB_NOW - timedelta(days=1), DEV))
        conn.commit()
        assert missing.sweep(conn, lambda: DB_NOW) == 1
        assert missing.sweep(conn, lambda: DB_NOW + timedelta(minutes=1)) == 0  # one alert, not one per sweep
        conn.execute("UPDATE gateways SET online = false WHERE id = %s", (gateway,))
        assert missing.sweep(conn, lambda: DB_NOW + timedelta(minutes=2)) == 1  # the cause changed
        conn.commit()
        explanation = conn.execute("SELECT explanation FROM alerts WHERE rule = 'no_data'").fetchone()[0]
        assert explanation["cause"] == "gateway_offline" and explanation["remind_patient"] is False
        obs = conn.execute("INSERT INTO observations (id, patient_id, code, value, unit, measured_at, received_at)"
                           " VALUES (gen_random_uuid(), %s, '29463-7', 80.2, 'kg', %s, %s) RETURNING id",
                           (patient, DB_NOW + timedelta(minutes=3), DB_NOW + timedelta(minutes=3))).fetchone()[0]
        conn.execute("INSERT INTO alert_queue (patient_id, observation_ids) VALUES (%s, %s)", (patient, [obs]))
        conn.commit()
        run_once(conn)
        assert conn.execute("SELECT status, outcome FROM alerts WHERE rule = 'no_data'").fetchone() == \
            ("resolved", "normalised")


def test_worker_sweep_runs_every_periodic_job(database_url: str) -> None:
    from alerts.worker import sweep_once

    with psycopg.connect(database_url) as conn:
        assert sweep_once(conn) == {"escalated": 0, "unsnoozed": 0, "no_data": 0}
