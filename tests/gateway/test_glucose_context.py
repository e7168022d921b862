"""A Glucose Profile meter that tags tests with a meal: the context is joined to its measurement by sequence
number, and the meter's Device Information lands in the device's status."""

from __future__ import annotations

import json
from datetime import timedelta

from device_profiles.decoders import decode
from device_profiles.glucose import build_glucose_measurement
from device_profiles.glucose_context import build_glucose_measurement_context
from device_profiles.reading import DecodedReading
from gateway.session import join_glucose_context
from gateway.sim.scenarios import Sample
from tests.gateway.bench import BASE, Bench, each_once


def test_meal_flag_rides_on_the_measurement(meter: Bench) -> None:
    meter.device.take(Sample(BASE, "glucose", {"glucose": 5.2, "meal": 1}))
    meter.device.take(Sample(BASE + timedelta(hours=2), "glucose", {"glucose": 8.9, "meal": 2, "hba1c": 7.1}))
    meter.device.take(Sample(BASE + timedelta(hours=5), "glucose", {"glucose": 6.0}))
    assert meter.poll() == 4  # three glucose readings and one HbA1c
    rows = meter.rows()
    by_code: dict[str, list[dict[str, object]]] = {}
    for r in rows:
        by_code.setdefault(str(r["code"]), []).append(r)
    glucose = sorted(by_code["14743-9"], key=lambda r: str(r["measured_at"]))
    assert [("meal_preprandial" in g["flags"], "meal_postprandial" in g["flags"]) for g in glucose] == [  # type: ignore[operator]
        (True, False), (False, True), (False, False)]
    assert "tester_self" in glucose[0]["flags"]  # type: ignore[operator]
    [hba1c] = by_code["4548-4"]
    assert hba1c["value"] == 7.1 and hba1c["unit"] == "%"
    assert hba1c["measured_at"] == glucose[1]["measured_at"]


def test_context_is_not_a_stored_record(meter: Bench) -> None:
    meter.take(2)
    meter.device.take(Sample(BASE + timedelta(days=2), "glucose", {"glucose": 5.0, "meal": 3}))
    assert meter.poll() == 3
    assert meter.committed() is not None and meter.committed().startswith("2:")
    meter.outbox.delete([e.seq for e in meter.outbox.oldest(100)])
    # Asking again from the committed record brings it and its context back; nothing is queued twice and
    # the meter is not taken for reset.
    meter.device.awake = True
    meter.take(1)
    assert meter.poll() == 1
    assert meter.radio.racp_writes == ["01 06", "01 03 01 02 00"]


def test_join_needs_the_context_follows_flag() -> None:
    at = BASE
    measurement = build_glucose_measurement(7, BASE, 0.0009)
    context = build_glucose_measurement_context(7, meal="fasting")
    decoded = [(decode("2a18", measurement), measurement, at), (decode("2a34", context), context, at)]
    [(reading, _, _)] = join_glucose_context(decoded)
    assert isinstance(reading, DecodedReading) and "meal_fasting" not in reading.flags
    flagged = build_glucose_measurement(7, BASE, 0.0009, context_follows=True)
    decoded[0] = (decode("2a18", flagged), flagged, at)
    [(reading, _, _)] = join_glucose_context(decoded)
    assert "meal_fasting" in reading.flags


def test_device_information_goes_into_the_status(meter: Bench) -> None:
    meter.device.info = {"2a29": "Nordisk Medi", "2a24": "GP-3", "2a25": "SN0012", "2a26": "1.4.0"}
    meter.take(1)
    meter.poll()
    status = meter.gateway.device_status()[meter.device.address]
    assert {k: status[k] for k in ("manufacturer", "model", "serial", "firmware")} == {
        "manufacturer": "Nordisk Medi", "model": "GP-3", "serial": "SN0012", "firmware": "1.4.0"}
    assert json.dumps(status)  # it goes into the retained status message as it is
    assert each_once(meter)
