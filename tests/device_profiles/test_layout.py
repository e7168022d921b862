"""Vendor layouts: the shipped spirometer and peak-flow meter decode their golden bytes, any bytes give a
reading or a DecodeError, and a broken layout fails at profile load naming the file, the key and why."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from device_profiles.codes import CODES
from device_profiles.date_time import date_time_bytes
from device_profiles.layout import (
    FIELD_SIZES,
    LayoutField,
    QualityByte,
    VendorLayout,
    decode_layout,
    encode_layout,
)
from device_profiles.profiles import ProfileError, load_profile, load_profile_file
from device_profiles.reading import DecodedReading, DecodeError, Measurement

SPIRO = load_profile("home_spirometer_vl1")
SPIRO_CHAR = "8d2a0002-3b7c-4e2a-9f61-5e2b6c8a1d40"
PEF = load_profile("peak_flow_meter_vl1")
PEF_CHAR = "8d2a0102-3b7c-4e2a-9f61-5e2b6c8a1d40"


def _hex(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


def test_spirometer_golden() -> None:
    data = _hex(
        "a0 00"  # 0-1   FEV1 0x00A0 = 160 cL = 1.60 L
        "2c 01"  # 2-3   FVC  0x012C = 300 cL = 3.00 L
        "15 f2"  # 4-5   FEV1/FVC SFLOAT 0xF215: exponent -1, mantissa 0x215 = 533 -> 53.3 %
        "a4 01"  # 6-7   PEF  0x01A4 = 420 x 0.01 L/s = 4.20 L/s = 252 L/min
        "1f 01"  # 8-9   FEV6 0x011F = 287 cL = 2.87 L
        "01"  # 10    effort grade 1 = B
        "e9 07 03 0a 08 07 1e"  # 11-17 Date Time 2025-03-10 08:07:30
    )
    reading = SPIRO.decode(SPIRO_CHAR, data)
    assert reading == DecodedReading(
        SPIRO_CHAR,
        (
            Measurement("fev1", 1.6, "L"),
            Measurement("fvc", 3.0, "L"),
            Measurement("fev1_fvc", 53.3, "%"),
            Measurement("pef", 252.0, "L/min"),
            Measurement("fev6", 2.87, "L"),
        ),
        device_time=datetime(2025, 3, 10, 8, 7, 30),
        flags=("effort_grade_b",),
    )


def test_spirometer_short_blow_bad_effort_and_no_ratio() -> None:
    data = _hex(
        "5a 00"  # FEV1 0.90 L
        "90 01"  # FVC 4.00 L
        "ff 07"  # FEV1/FVC SFLOAT NaN: the device computed none
        "64 00"  # PEF 1.00 L/s = 60 L/min
        "ff ff"  # FEV6 0xFFFF = not measured (blow under 6 s)
        "05"  # effort grade 5 = F
        "00 00 00 00 00 00 00"  # Date Time all zero: the device clock was never set
        "aa"  # one byte more than the layout: kept visible as a flag
    )
    reading = SPIRO.decode(SPIRO_CHAR, data)
    values = {m.code: (m.value, m.no_value_reason) for m in reading.measurements}
    assert values == {
        "fev1": (0.9, None),
        "fvc": (4.0, None),
        "fev1_fvc": (None, "not_a_number"),
        "pef": (60.0, None),
        "fev6": (None, "not_measured"),
    }
    assert reading.device_time is None
    assert reading.flags == ("device_time_unknown", "effort_grade_f", "trailing_bytes_ignored")


def test_spirometer_unknown_grade_is_flagged_not_dropped() -> None:
    layout = SPIRO.characteristics[0].layout
    assert layout is not None
    data = bytearray(encode_layout(layout, {"fev1": 1.2, "fvc": 2.0, "fev1_fvc": 60, "pef": 180, "fev6": 1.9}))
    data[10] = 9
    reading = SPIRO.decode(SPIRO_CHAR, bytes(data))
    assert "effort_grade_unknown" in reading.flags
    assert reading.measurements[0].value == 1.2


def test_spirometer_too_short() -> None:
    with pytest.raises(DecodeError, match=f"^{SPIRO_CHAR}: value is 17 byte"):
        SPIRO.decode(SPIRO_CHAR, bytes(17))


def test_peak_flow_golden() -> None:
    reading = PEF.decode(PEF_CHAR, _hex(
        "fa 00"  # 0-1 PEF 0x00FA = 250 L/min
        "8c 00"  # 2-3 FEV1 0x008C = 140 cL = 1.40 L
    ))
    assert reading == DecodedReading(PEF_CHAR, (Measurement("pef", 250.0, "L/min"), Measurement("fev1", 1.4, "L")))
    no_fev1 = PEF.decode(PEF_CHAR.upper(), _hex("2c 01 00 00"))  # FEV1 0 = the meter did not time it
    assert no_fev1.measurements[1] == Measurement("fev1", None, "L", no_value_reason="not_measured")


def test_profile_without_the_characteristic() -> None:
    with pytest.raises(DecodeError, match="no such characteristic"):
        PEF.decode("2a35", b"\x00")


@pytest.mark.parametrize("profile", [SPIRO, PEF], ids=lambda p: p.id)
@settings(max_examples=300)
@given(data=st.binary(max_size=40))
def test_shipped_layouts_are_total(profile: object, data: bytes) -> None:
    from device_profiles.profiles import DeviceProfile

    assert isinstance(profile, DeviceProfile)
    char = profile.characteristics[0].uuid
    try:
        reading = profile.decode(char, data)
    except DecodeError as exc:
        assert str(exc).startswith(f"{char}: ")
        return
    for m in reading.measurements:
        assert m.unit == CODES[m.code].unit
        assert (m.value is None) == (m.no_value_reason is not None)


_CODES = sorted(k for k, c in CODES.items() if c.clinical)


@st.composite
def layouts(draw: st.DrawFn) -> VendorLayout:
    """Any valid layout: fields laid end to end in random order with random gaps, maybe a grade and a time."""
    n = draw(st.integers(1, 5))
    codes = draw(st.lists(st.sampled_from(_CODES), min_size=n, max_size=n, unique=True))
    pieces: list[tuple[str, int]] = [(f"f{i}", FIELD_SIZES[t]) for i, t in enumerate(
        draw(st.lists(st.sampled_from(sorted(FIELD_SIZES)), min_size=n, max_size=n)))]
    types = [draw(st.sampled_from([t for t, s in FIELD_SIZES.items() if s == size])) for _, size in pieces]
    if draw(st.booleans()):
        pieces.append(("quality", 1))
    if draw(st.booleans()):
        pieces.append(("time", 7))
    order = draw(st.permutations(pieces))
    offset, at = 0, {}
    for name, size in order:
        offset += draw(st.integers(0, 3))
        at[name] = offset
        offset += size
    fields = []
    for i, (code, type_) in enumerate(zip(codes, types, strict=True)):
        missing = draw(st.none() | st.integers(0, 255)) if type_ in ("uint8", "uint16") else None
        fields.append(LayoutField(offset=at[f"f{i}"], type=type_, code=code, unit=CODES[code].unit,  # type: ignore[arg-type]
                                  scale=draw(st.sampled_from([1.0, 0.1, 0.01, 2.5])), missing=missing))
    quality = QualityByte(offset=at["quality"], flag_prefix="grade_", grades={0: "A", 1: "B"}) \
        if "quality" in at else None
    return VendorLayout(length=offset + draw(st.integers(0, 2)), fields=tuple(fields), quality=quality,
                        time_stamp=at.get("time"))


@settings(max_examples=400)
@given(layout=layouts(), data=st.binary(max_size=48))
def test_any_layout_any_bytes(layout: VendorLayout, data: bytes) -> None:
    try:
        reading = decode_layout(layout, "abcd", data)
    except DecodeError as exc:
        assert str(exc).startswith("abcd: ")
        return
    assert len(reading.measurements) == len(layout.fields)
    assert all(flag == flag.lower() and " " not in flag for flag in reading.flags)


def test_encode_then_decode_round_trip() -> None:
    layout = SPIRO.characteristics[0].layout
    assert layout is not None
    values: dict[str, float | None] = {"fev1": 1.31, "fvc": 2.79, "fev1_fvc": 47.0, "pef": 208.8, "fev6": None}
    data = encode_layout(layout, values, grade=2, time_stamp=date_time_bytes(datetime(2025, 3, 10, 8, 7)))
    reading = decode_layout(layout, SPIRO_CHAR, data)
    assert {m.code: m.value for m in reading.measurements} == values
    assert reading.flags == ("effort_grade_c",)


GOOD = """
id = "broken_spiro"
manufacturer = "Example"
model = "S-1"
kind = "spirometer"
bonding_required = false

[discovery]
name_patterns = ["^S-1"]

[[characteristics]]
uuid = "0000aaaa-1111-2222-3333-444455556666"
decoder = "vendor_layout"
mode = "notify"

[characteristics.layout]
length = 6
fields = [
    { offset = 0, type = "uint16", scale = 0.01, unit = "L", code = "fev1" },
    { offset = 2, type = "uint16", unit = "L/min", code = "pef" },
]

[characteristics.layout.quality]
offset = 4
flag_prefix = "effort_grade_"
grades = { 0 = "A", 1 = "B" }

[records]
mode = "live"

[clock]
current_time_writable = false
readings_carry_time_stamp = false
"""

FIELDS = "characteristics[0].layout.fields"
BROKEN = [
    # (what to replace in GOOD, with what, expected key, part of the problem)
    ('offset = 2, type = "uint16"', 'offset = 1, type = "uint16"', "characteristics[0].layout",
     "field pef at offset 1 overlaps field fev1 at offset 0"),
    ("length = 6", "length = 4", "characteristics[0].layout", "quality at offset 4 (1 byte(s)) runs past length 4"),
    ('code = "pef"', 'code = "peak"', f"{FIELDS}[1].code", "unknown code 'peak'"),
    ('code = "pef"', 'code = "battery_level"', f"{FIELDS}[1].code", "device-internal"),
    ('unit = "L/min"', 'unit = "mL/s"', f"{FIELDS}[1]", "unit 'mL/s' cannot be converted to 'L/min'"),
    ('type = "uint16", unit', 'type = "uint24", unit', f"{FIELDS}[1].type", "'uint8', 'uint16'"),
    ('type = "uint16", unit', 'type = "sfloat", missing = 0, unit', f"{FIELDS}[1]", "integer types only"),
    ('type = "uint16", unit', 'type = "uint16", missing = 70000, unit', f"{FIELDS}[1]", "does not fit in uint16"),
    ("scale = 0.01", "scale = 0", f"{FIELDS}[0].scale", "between 1e-9 and 1e9"),
    ('unit = "L/min", code = "pef"', 'unit = "L", code = "fev1"', "characteristics[0].layout",
     "more than one field: ['fev1']"),
    ('grades = { 0 = "A", 1 = "B" }', 'grades = { 0 = "A", 300 = "B" }', "characteristics[0].layout.quality.grades",
     "does not fit in a byte"),
    ('flag_prefix = "effort_grade_"', 'flag_prefix = "Effort Grade"', "characteristics[0].layout.quality.flag_prefix",
     "lower-case"),
    ("length = 6", "length = 6\nwidth = 2", "characteristics[0].layout.width", "unknown key"),
    ('decoder = "vendor_layout"', 'decoder = "weight_measurement"', "characteristics[0]",
     "layout is only read with decoder = 'vendor_layout'"),
    ('offset = 0, type = "uint16", scale = 0.01', 'type = "uint16", scale = 0.01', f"{FIELDS}[0].offset",
     "required key is missing"),
]


@pytest.mark.parametrize(("old", "new", "key", "problem"), BROKEN)
def test_broken_layout_names_file_key_and_reason(tmp_path: Path, old: str, new: str, key: str, problem: str) -> None:
    assert old in GOOD
    path = tmp_path / "broken_spiro.toml"
    path.write_text(GOOD.replace(old, new, 1))
    with pytest.raises(ProfileError) as caught:
        load_profile_file(path)
    assert (caught.value.file, caught.value.key) == ("broken_spiro.toml", key), caught.value
    assert problem in caught.value.problem


def test_vendor_layout_without_a_layout(tmp_path: Path) -> None:
    start, end = GOOD.index("[characteristics.layout]"), GOOD.index("[records]")
    path = tmp_path / "broken_spiro.toml"
    path.write_text(GOOD[:start] + GOOD[end:])
    with pytest.raises(ProfileError, match=r"characteristics\[0\]: decoder 'vendor_layout' needs a \[layout\]"):
        load_profile_file(path)


def test_good_layout_loads(tmp_path: Path) -> None:
    path = tmp_path / "broken_spiro.toml"
    path.write_text(GOOD)
    profile = load_profile_file(path)
    reading = profile.decode("0000AAAA-1111-2222-3333-444455556666", _hex("7800 2c01 01 00"))
    assert [m.value for m in reading.measurements] == [1.2, 300.0]
    assert reading.flags == ("effort_grade_b",)
