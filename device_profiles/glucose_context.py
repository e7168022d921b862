"""Glucose Service: Glucose Measurement Context (0x2A34) — what the patient says about a glucose test (meal,
tester, health, HbA1c), decoder and the matching builder for simulators."""

from __future__ import annotations

from device_profiles.cursor import Cursor
from device_profiles.reading import DecodedReading, Measurement
from device_profiles.sfloat import NoValue, encode_sfloat
from device_profiles.units import measurement

GLUCOSE_MEASUREMENT_CONTEXT = "2a34"

# [GLS 1.0, Glucose Measurement Context: Flags]; field order and sizes checked against the GATT Specification
# Supplement listing of 0x2A34 (flags, sequence number, extended flags, carbohydrate id + medfloat16 kg, meal,
# tester-health, exercise duration uint16 + intensity uint8, medication id + medfloat16, HbA1c medfloat16).
_CARBOHYDRATE = 0x01
_MEAL = 0x02
_TESTER_HEALTH = 0x04
_EXERCISE = 0x08
_MEDICATION = 0x10
_MEDICATION_LITRES = 0x20  # 0: medication in kg, 1: in litres
_HBA1C = 0x40
_EXTENDED_FLAGS = 0x80

CARBOHYDRATES = {1: "breakfast", 2: "lunch", 3: "dinner", 4: "snack", 5: "drink", 6: "supper", 7: "brunch"}
MEALS = {1: "preprandial", 2: "postprandial", 3: "fasting", 4: "casual", 5: "bedtime"}
TESTERS = {1: "self", 2: "health_care_professional", 3: "lab_test"}
HEALTH = {1: "minor_health_issues", 2: "major_health_issues", 3: "during_menses", 4: "under_stress",
          5: "no_health_issues"}
MEDICATIONS = {1: "rapid_acting_insulin", 2: "short_acting_insulin", 3: "intermediate_acting_insulin",
               4: "long_acting_insulin", 5: "pre_mixed_insulin"}
_NOT_AVAILABLE = 15  # tester or health nibble "not available"
EXERCISE_DURATION_OVERRUN = 0xFFFF

# Flags the gateway copies onto the glucose measurement the context belongs to.
JOINED_PREFIXES = ("meal_", "tester_", "health_", "carbohydrate_", "medication_", "exercise_")


def decode_glucose_measurement_context(data: bytes) -> DecodedReading:
    """0x2A34: the sequence number of the Glucose Measurement it belongs to, the meal, tester and health as
    flags (``meal_preprandial``, ``tester_self``, ...) and HbA1c as a measurement.

    Carbohydrate and medication amounts and the exercise duration/intensity are read for length; only their
    presence and kind become flags, since the platform has no code for them. Tester is taken as the low
    nibble and health as the high nibble of the Tester-Health byte, the same order as Type-Sample Location
    in the Glucose Measurement; published implementations disagree on this order and the specification
    text at hand did not settle it.
    """
    cursor = Cursor(data, GLUCOSE_MEASUREMENT_CONTEXT)
    flags_byte = cursor.uint8("flags")
    sequence = cursor.uint16("sequence number")
    flags: list[str] = []
    if flags_byte & _EXTENDED_FLAGS:
        cursor.uint8("extended flags")  # all bits reserved for future use
    if flags_byte & _CARBOHYDRATE:
        carbohydrate = cursor.uint8("carbohydrate id")
        cursor.sfloat("carbohydrate")
        flags.append(f"carbohydrate_{CARBOHYDRATES.get(carbohydrate, 'other')}")
    if flags_byte & _MEAL:
        meal = cursor.uint8("meal")
        if meal in MEALS:
            flags.append(f"meal_{MEALS[meal]}")
    if flags_byte & _TESTER_HEALTH:
        tester_health = cursor.uint8("tester-health")
        tester, health = tester_health & 0x0F, tester_health >> 4
        if tester in TESTERS:
            flags.append(f"tester_{TESTERS[tester]}")
        if health in HEALTH:
            flags.append(f"health_{HEALTH[health]}")
    if flags_byte & _EXERCISE:
        cursor.uint16("exercise duration")
        intensity = cursor.uint8("exercise intensity")
        if intensity > 100:
            raise cursor.error(f"exercise intensity {intensity} % is above 100")
        flags.append("exercise_reported")
    if flags_byte & _MEDICATION:
        medication = cursor.uint8("medication id")
        cursor.sfloat("medication")
        flags.append(f"medication_{MEDICATIONS.get(medication, 'other')}")
    measurements: tuple[Measurement, ...] = ()
    if flags_byte & _HBA1C:
        measurements = (measurement("hba1c", cursor.sfloat("HbA1c")),)
    flags.extend(cursor.trailing_flags())
    return DecodedReading(GLUCOSE_MEASUREMENT_CONTEXT, measurements, flags=tuple(flags), sequence=sequence)


def _key(table: dict[int, str], name: str, what: str) -> int:
    for key, value in table.items():
        if value == name:
            return key
    raise ValueError(f"unknown {what} {name!r}; known: {sorted(table.values())}")


def build_glucose_measurement_context(
    sequence: int,
    *,
    meal: str | None = None,
    tester: str | None = None,
    health: str | None = None,
    carbohydrate: tuple[str, float] | None = None,  # (kind, kg)
    exercise: tuple[int, int] | None = None,  # (duration s, intensity %)
    medication: tuple[str, float] | None = None,  # (kind, kg or L)
    medication_litres: bool = False,
    hba1c: float | NoValue | None = None,
    extended_flags: int | None = None,
) -> bytes:
    """Bytes of a 0x2A34 value; each argument left None leaves its field (and flag) out."""
    if not 0 <= sequence <= 0xFFFF:
        raise ValueError("sequence must be 0..65535")
    flags = 0
    body = b""
    if extended_flags is not None:
        flags |= _EXTENDED_FLAGS
        body += bytes([extended_flags])
    if carbohydrate is not None:
        flags |= _CARBOHYDRATE
        body += bytes([_key(CARBOHYDRATES, carbohydrate[0], "carbohydrate")]) + encode_sfloat(carbohydrate[1])
    if meal is not None:
        flags |= _MEAL
        body += bytes([_key(MEALS, meal, "meal")])
    if tester is not None or health is not None:
        flags |= _TESTER_HEALTH
        low = _key(TESTERS, tester, "tester") if tester is not None else _NOT_AVAILABLE
        high = _key(HEALTH, health, "health") if health is not None else _NOT_AVAILABLE
        body += bytes([low | high << 4])
    if exercise is not None:
        duration, intensity = exercise
        if not 0 <= duration <= 0xFFFF or not 0 <= intensity <= 100:
            raise ValueError("exercise duration must be 0..65535 s and intensity 0..100 %")
        flags |= _EXERCISE
        body += duration.to_bytes(2, "little") + bytes([intensity])
    if medication is not None:
        flags |= _MEDICATION | (_MEDICATION_LITRES if medication_litres else 0)
        body += bytes([_key(MEDICATIONS, medication[0], "medication")]) + encode_sfloat(medication[1])
    if hba1c is not None:
        flags |= _HBA1C
        body += encode_sfloat(hba1c)
    return bytes([flags]) + sequence.to_bytes(2, "little") + body
