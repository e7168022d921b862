"""Every decoder is total: any bytes give a DecodedReading or a DecodeError, never another exception; the
registry dispatches by characteristic id and refuses unknown ones."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from device_profiles.codes import CODES
from device_profiles.decoders import BY_CHARACTERISTIC, DECODERS, decode, short_id
from device_profiles.reading import DecodedReading, DecodeError

IDS = sorted(BY_CHARACTERISTIC)


@pytest.mark.parametrize("characteristic", IDS)
@settings(max_examples=300)
@given(data=st.binary(max_size=40))
def test_any_bytes_decode_or_raise_decode_error(characteristic: str, data: bytes) -> None:
    try:
        reading = decode(characteristic, data)
    except DecodeError as exc:
        assert str(exc).startswith(f"{characteristic}: ")
        return
    assert isinstance(reading, DecodedReading)
    assert reading.characteristic == characteristic
    for m in reading.measurements:
        assert m.code in CODES
        assert m.unit == CODES[m.code].unit
        assert (m.value is None) == (m.no_value_reason is not None)
    assert all(flag == flag.lower() and " " not in flag for flag in reading.flags)


@pytest.mark.parametrize("characteristic", IDS)
@given(flags=st.integers(0, 255), tail=st.binary(min_size=0, max_size=24))
def test_any_flag_byte_with_any_tail(characteristic: str, flags: int, tail: bytes) -> None:
    with contextlib.suppress(DecodeError):
        decode(characteristic, bytes([flags]) + tail)


def test_registry_is_consistent() -> None:
    assert set(DECODERS) == {d.name for d in BY_CHARACTERISTIC.values()}
    assert all(len(key) == 4 and key == key.lower() for key in BY_CHARACTERISTIC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2a35", "2a35"),
        ("2A35", "2a35"),
        ("0x2a35", "2a35"),
        ("00002a35-0000-1000-8000-00805f9b34fb", "2a35"),
        ("233bf001-5a34-1b6d-975c-000d5690abe4", None),
        ("2a3", None),
    ],
)
def test_short_id(text: str, expected: str | None) -> None:
    assert short_id(text) == expected


def test_dispatch_by_full_uuid() -> None:
    reading = decode("00002A35-0000-1000-8000-00805F9B34FB", bytes.fromhex("00780050005d00"))
    assert reading.measurements[0].value == 120


@pytest.mark.parametrize("characteristic", ["2a37", "ffff", "nonsense", ""])
def test_unknown_characteristic_is_a_decode_error(characteristic: str) -> None:
    with pytest.raises(DecodeError, match="no decoder for characteristic"):
        decode(characteristic, b"\x00")
