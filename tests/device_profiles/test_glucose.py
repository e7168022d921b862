"""Glucose Measurement 0x2A18: annotated golden payloads, conversion to mmol/L, sequence and time offset."""

from __future__ import annotations

from datetime import datetime

import pytest

from device_profiles.glucose import build_glucose_measurement, decode_glucose_measurement
from device_profiles.reading import DecodedReading, DecodeError, Measurement


def h(text: str) -> bytes:
    return bytes.fromhex(text)


KG_PER_L = b"".join(
    [
        h(
            "03"
        ),  # byte 0 flags = 0x03: time offset, concentration + type/location present, units kg/L (bit 2 = 0)
        h("0100"),  # bytes 1-2 sequence number = 1
        h("e8070501071e00"),  # bytes 3-9 base time = 2024-05-01 07:30:00
        h("0f00"),  # bytes 10-11 time offset = sint16 +15 min -> measured 07:45:00
        h("63b0"),  # bytes 12-13 concentration = SFLOAT 0xB063 = 99 x 10^-5 kg/L = 99 mg/dL = 5.50 mmol/L
        h("11"),  # byte 14 type = 1 capillary whole blood (low nibble), location = 1 finger (high nibble)
    ]
)

MOL_PER_L = b"".join(
    [
        h("0e"),  # flags = 0x0E: concentration, mol/L (bit 2), sensor status annunciation
        h("2a00"),  # sequence number = 42
        h("e8070501130000"),  # base time = 2024-05-01 19:00:00
        h("37c0"),  # concentration = SFLOAT 0xC037 = 55 x 10^-4 mol/L = 5.5 mmol/L
        h("12"),  # type 2 capillary plasma, location 1 finger
        h("2100"),  # sensor status = 0x0021: bit 0 device battery low, bit 5 result above device range
    ]
)


def test_kg_per_l_with_time_offset() -> None:
    assert decode_glucose_measurement(KG_PER_L) == DecodedReading(
        "2a18",
        (Measurement("glucose", 5.5, "mmol/L"),),
        device_time=datetime(2024, 5, 1, 7, 45),
        flags=("sample_type_capillary_whole_blood", "sample_location_finger"),
        sequence=1,
    )


def test_mol_per_l_with_annunciations() -> None:
    assert decode_glucose_measurement(MOL_PER_L) == DecodedReading(
        "2a18",
        (Measurement("glucose", 5.5, "mmol/L"),),
        device_time=datetime(2024, 5, 1, 19),
        flags=(
            "sample_type_capillary_plasma",
            "sample_location_finger",
            "device_battery_low",
            "result_above_device_range",
        ),
        sequence=42,
    )


def test_control_solution_is_flagged() -> None:
    # flags 0x02; seq 7; base time; 0.001 kg/L (0xD001 = 1 x 10^-3); type 10 control solution, location 4
    data = h("020700e807050107000001d04a")
    reading = decode_glucose_measurement(data)
    assert "control_solution" in reading.flags
    assert reading.measurements == (Measurement("glucose", 5.55, "mmol/L"),)


def test_record_without_concentration() -> None:
    # flags 0x10: only sequence and base time, context information follows in 0x2A34
    reading = decode_glucose_measurement(h("100300e8070501070000"))
    assert (reading.measurements, reading.sequence, reading.flags) == ((), 3, ("context_follows",))


def test_special_concentration() -> None:
    # flags 0x02; seq 0; base time not known; concentration 0x07FF NaN; type/location 0x11
    reading = decode_glucose_measurement(h("02000000000000000000ff0711"))
    assert reading.measurements == (Measurement("glucose", None, "mmol/L", "not_a_number"),)
    assert reading.device_time is None and "device_time_unknown" in reading.flags


def test_offset_past_the_calendar_is_a_decode_error() -> None:
    with pytest.raises(DecodeError, match="not a date"):
        decode_glucose_measurement(h("0100000f270c1f173b3bff7f"))  # 9999-12-31 + 32767 min


@pytest.mark.parametrize("length", range(len(KG_PER_L)))
def test_every_truncation_is_a_decode_error(length: int) -> None:
    with pytest.raises(DecodeError, match="2a18: "):
        decode_glucose_measurement(KG_PER_L[:length])


def test_builders_reproduce_the_golden_payloads() -> None:
    assert (
        build_glucose_measurement(1, datetime(2024, 5, 1, 7, 30), 0.00099, time_offset_minutes=15) == KG_PER_L
    )
    assert (
        build_glucose_measurement(
            42,
            datetime(2024, 5, 1, 19),
            0.0055,
            unit="mol/L",
            sample_type="capillary_plasma",
            annunciations=["device_battery_low", "result_above_device_range"],
        )
        == MOL_PER_L
    )
