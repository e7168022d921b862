"""PLX Continuous Measurement 0x2A5F: annotated golden payloads, round trip, total on any bytes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from device_profiles.pulse_oximeter import STATUS_FLAGS, build_plx_continuous, decode_plx_continuous
from device_profiles.reading import DecodedReading, DecodeError, Measurement
from device_profiles.sfloat import NoValue


def h(text: str) -> bytes:
    return bytes.fromhex(text)


NORMAL_ONLY = h("00" "5e00" "5800")  # flags 0; SpO2PR-Normal: SpO2 0x005E = 94 %, PR 0x0058 = 88 /min

EVERYTHING = b"".join([
    h("1f"),  # flags 0x1F: bit 0 Fast, bit 1 Slow, bit 2 measurement status, bit 3 device and sensor status,
    #           bit 4 pulse amplitude index
    h("6100"), h("4800"),  # SpO2PR-Normal: SpO2 97 %, PR 72 /min
    h("6000"), h("4b00"),  # SpO2PR-Fast: 96 %, 75 /min (read for length)
    h("6100"), h("4600"),  # SpO2PR-Slow: 97 %, 70 /min (read for length)
    h("0040"),  # measurement status 0x4000: bit 14 questionable measurement
    h("200000"),  # device and sensor status 0x000020: bit 5 low perfusion
    h("19f0"),  # pulse amplitude index SFLOAT 0xF019 = 2.5 % (read for length)
])

INVALID = h("04" "6100" "4800" "0080")  # flags 0x04: measurement status 0x8000, bit 15 invalid measurement


def test_normal_pair_only() -> None:
    assert decode_plx_continuous(NORMAL_ONLY) == DecodedReading(
        "2a5f", (Measurement("spo2", 94, "%"), Measurement("pulse_rate", 88, "/min")))


def test_every_field_present() -> None:
    assert decode_plx_continuous(EVERYTHING) == DecodedReading(
        "2a5f", (Measurement("spo2", 97, "%"), Measurement("pulse_rate", 72, "/min")),
        flags=("questionable_measurement", "low_perfusion"))


def test_invalid_data_is_flagged_as_in_the_spot_check() -> None:
    assert decode_plx_continuous(INVALID).flags == ("invalid_measurement",)


def test_builder_gives_the_golden_bytes() -> None:
    assert build_plx_continuous(94, 88) == NORMAL_ONLY
    assert build_plx_continuous(97, 72, fast=(96, 75), slow=(97, 70),
                                status=("questionable_measurement", "low_perfusion"),
                                pulse_amplitude_index=2.5) == EVERYTHING


def test_special_value_is_no_reading() -> None:
    reading = decode_plx_continuous(build_plx_continuous(NoValue.NAN, 60))
    assert reading.measurements[0].value is None and reading.measurements[0].no_value_reason


@pytest.mark.parametrize("payload", ["", "00", "005e00", "005e0058", "01" "5e005800" "6000", "04" "5e005800" "00"])
def test_short_values_are_decode_errors(payload: str) -> None:
    with pytest.raises(DecodeError, match=r"^2a5f: "):
        decode_plx_continuous(h(payload))


@given(spo2=st.integers(50, 100), pulse=st.integers(20, 250), fast=st.booleans(), slow=st.booleans(),
       status=st.none() | st.sets(st.sampled_from(sorted(STATUS_FLAGS))),
       pai=st.none() | st.integers(0, 200).map(lambda x: x / 10))
def test_build_decode_round_trip(spo2: int, pulse: int, fast: bool, slow: bool, status: set[str] | None,
                                 pai: float | None) -> None:
    data = build_plx_continuous(spo2, pulse, fast=(spo2, pulse) if fast else None,
                                slow=(spo2, pulse) if slow else None, status=status, pulse_amplitude_index=pai)
    reading = decode_plx_continuous(data)
    assert [m.value for m in reading.measurements] == [spo2, pulse]
    assert set(reading.flags) == (status or set())


@given(st.binary(max_size=40))
def test_any_bytes_decode_or_raise_decode_error(data: bytes) -> None:
    try:
        reading = decode_plx_continuous(data)
    except DecodeError:
        return
    assert isinstance(reading, DecodedReading)
