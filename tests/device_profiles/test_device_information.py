"""Device Information text characteristics: UTF-8 in, text out, anything else a DecodeError."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from device_profiles.device_information import (
    DEVICE_INFORMATION,
    build_device_information,
    decode_device_information,
)
from device_profiles.profiles import load_profile
from device_profiles.reading import DecodeError


@pytest.mark.parametrize(("characteristic", "payload", "text"), [
    ("2a29", "4e6f726469736b204d656469", "Nordisk Medi"),  # manufacturer name, ASCII
    ("2A24", "47502d33", "GP-3"),  # model number; the id in any case
    ("2a25", "534e30303132000000", "SN0012"),  # serial number padded with NULs by the device
    ("2a26", "76312e322e3320c3a6", "v1.2.3 æ"),  # firmware revision, a two-byte UTF-8 character
    ("2a26", "", ""),  # an empty string is allowed
])
def test_golden(characteristic: str, payload: str, text: str) -> None:
    assert decode_device_information(characteristic, bytes.fromhex(payload)) == text


def test_not_utf8_or_not_device_information() -> None:
    with pytest.raises(DecodeError, match=r"^2a29: not UTF-8"):
        decode_device_information("2a29", b"\xff\xfe")
    with pytest.raises(DecodeError, match="not a Device Information"):
        decode_device_information("2a19", b"abc")


@given(characteristic=st.sampled_from(sorted(DEVICE_INFORMATION)), text=st.text(max_size=60))
def test_round_trip(characteristic: str, text: str) -> None:
    assert decode_device_information(characteristic, build_device_information(text)) == \
        text.rstrip("\x00 ").replace("\x00", "")


@given(characteristic=st.sampled_from(sorted(DEVICE_INFORMATION)), data=st.binary(max_size=600))
def test_any_bytes_give_text_or_decode_error(characteristic: str, data: bytes) -> None:
    with contextlib.suppress(DecodeError):
        assert isinstance(decode_device_information(characteristic, data), str)


def test_glucose_meter_profile_lists_them_as_optional_reads() -> None:
    profile = load_profile("generic_glucose_meter")
    for uuid in DEVICE_INFORMATION:
        found = profile.characteristic(uuid)
        assert found is not None and found.mode == "read" and not found.required
    context = profile.characteristic("2a34")
    assert context is not None and context.mode == "notify" and not context.required
