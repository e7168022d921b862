"""Glucose Measurement Context 0x2A34: annotated golden payloads, round trip, total on any bytes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from device_profiles.glucose_context import (
    CARBOHYDRATES,
    HEALTH,
    MEALS,
    MEDICATIONS,
    TESTERS,
    build_glucose_measurement_context,
    decode_glucose_measurement_context,
)
from device_profiles.reading import DecodedReading, DecodeError, Measurement


def h(text: str) -> bytes:
    return bytes.fromhex(text)


MEAL_AND_HBA1C = b"".join([
    h("c6"),  # flags 0xC6: bit 1 meal, bit 2 tester-health, bit 6 HbA1c, bit 7 extended flags
    h("0500"),  # sequence number = 5 (the Glucose Measurement it belongs to)
    h("00"),  # extended flags: all reserved
    h("01"),  # meal = 1 preprandial
    h("51"),  # tester = 1 self (low nibble), health = 5 no health issues (high nibble); see the decoder's note
    h("41f0"),  # HbA1c = SFLOAT 0xF041 = 65 x 10^-1 = 6.5 %
])

CARBS_EXERCISE_MEDICATION = b"".join([
    h("39"),  # flags 0x39: bit 0 carbohydrate, bit 3 exercise, bit 4 medication, bit 5 medication in litres
    h("0a00"),  # sequence number = 10
    h("01"), h("2dd0"),  # carbohydrate id 1 breakfast, SFLOAT 0xD02D = 45 x 10^-3 kg = 45 g
    h("0807"), h("32"),  # exercise duration 0x0708 = 1800 s, intensity 0x32 = 50 %
    h("01"), h("04b0"),  # medication id 1 rapid acting insulin, SFLOAT 0xB004 = 4 x 10^-5 L
])


def test_meal_tester_health_and_hba1c() -> None:
    assert decode_glucose_measurement_context(MEAL_AND_HBA1C) == DecodedReading(
        "2a34", (Measurement("hba1c", 6.5, "%"),),
        flags=("meal_preprandial", "tester_self", "health_no_health_issues"), sequence=5)


def test_carbohydrate_exercise_medication_are_flags_only() -> None:
    assert decode_glucose_measurement_context(CARBS_EXERCISE_MEDICATION) == DecodedReading(
        "2a34", (), flags=("carbohydrate_breakfast", "exercise_reported", "medication_rapid_acting_insulin"),
        sequence=10)


def test_builder_gives_the_golden_bytes() -> None:
    assert build_glucose_measurement_context(5, meal="preprandial", tester="self", health="no_health_issues",
                                             hba1c=6.5, extended_flags=0) == MEAL_AND_HBA1C
    assert build_glucose_measurement_context(
        10, carbohydrate=("breakfast", 0.045), exercise=(1800, 50), medication=("rapid_acting_insulin", 4e-5),
        medication_litres=True) == CARBS_EXERCISE_MEDICATION


@pytest.mark.parametrize(("meal", "flag"), [(1, "meal_preprandial"), (2, "meal_postprandial"),
                                            (3, "meal_fasting"), (4, "meal_casual"), (5, "meal_bedtime")])
def test_every_meal(meal: int, flag: str) -> None:
    assert decode_glucose_measurement_context(bytes([0x02, 1, 0, meal])).flags == (flag,)


def test_not_available_and_reserved_values_give_no_flag() -> None:
    # tester 15 / health 15 "not available", meal 0 and 6 reserved
    assert decode_glucose_measurement_context(h("060100" "00" "ff")).flags == ()
    assert decode_glucose_measurement_context(h("02010006")).flags == ()


@pytest.mark.parametrize("payload", ["", "00", "0001", "020100", "400100" "41", "08010010", "0801001000" "65"])
def test_short_or_impossible_values_are_decode_errors(payload: str) -> None:
    with pytest.raises(DecodeError, match=r"^2a34: "):
        decode_glucose_measurement_context(h(payload))


def test_trailing_bytes_are_flagged() -> None:
    assert decode_glucose_measurement_context(h("000100ee")).flags == ("trailing_bytes_ignored",)


@given(sequence=st.integers(0, 0xFFFF), meal=st.none() | st.sampled_from(sorted(MEALS.values())),
       tester=st.none() | st.sampled_from(sorted(TESTERS.values())),
       health=st.none() | st.sampled_from(sorted(HEALTH.values())),
       carbohydrate=st.none() | st.sampled_from(sorted(CARBOHYDRATES.values())),
       medication=st.none() | st.sampled_from(sorted(MEDICATIONS.values())),
       hba1c=st.none() | st.integers(30, 200).map(lambda x: x / 10))
def test_build_decode_round_trip(sequence: int, meal: str | None, tester: str | None, health: str | None,
                                 carbohydrate: str | None, medication: str | None, hba1c: float | None) -> None:
    data = build_glucose_measurement_context(
        sequence, meal=meal, tester=tester, health=health,
        carbohydrate=(carbohydrate, 0.03) if carbohydrate else None,
        medication=(medication, 0.0001) if medication else None, hba1c=hba1c)
    reading = decode_glucose_measurement_context(data)
    assert reading.sequence == sequence
    expected = [f"carbohydrate_{carbohydrate}" if carbohydrate else None, f"meal_{meal}" if meal else None,
                f"tester_{tester}" if tester else None, f"health_{health}" if health else None,
                f"medication_{medication}" if medication else None]
    assert reading.flags == tuple(f for f in expected if f)
    assert reading.measurements == ((Measurement("hba1c", hba1c, "%"),) if hba1c is not None else ())


@given(st.binary(max_size=40))
def test_any_bytes_decode_or_raise_decode_error(data: bytes) -> None:
    try:
        reading = decode_glucose_measurement_context(data)
    except DecodeError:
        return
    assert isinstance(reading, DecodedReading)
