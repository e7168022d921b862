"""Vendor layouts: a fixed-offset byte layout declared in a profile, and the one generic decoder that reads it.

Spirometers and peak-flow meters have no Bluetooth SIG profile; each vendor sends its own fixed structure.
A profile declares the fields (offset, type, scale, unit, code), an optional quality byte mapped to named
grades and an optional GATT Date Time stamp, so a new vendor device needs only a profile file.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from itertools import pairwise
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from device_profiles.codes import CODES
from device_profiles.cursor import Cursor
from device_profiles.date_time import read_date_time
from device_profiles.reading import DecodedReading, DecodeError, Measurement
from device_profiles.sfloat import NoValue, Special, encode_float, encode_sfloat, float_from_raw, sfloat_from_raw

FieldType = Literal["uint8", "uint16", "int16", "sfloat", "float"]

# Every type is little-endian; "sfloat" and "float" are the IEEE 11073-20601 16-bit SFLOAT and 32-bit FLOAT
# (the medical floats of the SIG profiles, with their special values), not IEEE 754.
FIELD_SIZES: dict[str, int] = {"uint8": 1, "uint16": 2, "int16": 2, "sfloat": 2, "float": 4}
_INTEGER_RANGES: dict[str, tuple[int, int]] = {"uint8": (0, 0xFF), "uint16": (0, 0xFFFF), "int16": (-0x8000, 0x7FFF)}
DATE_TIME_SIZE = 7

# The unit a device sends (after scale) -> the code's own UCUM unit, and the exact factor between them.
# Spirometers commonly give peak flow in L/s and volumes in mL or cL; the record keeps one unit per code.
UNIT_FACTORS: dict[tuple[str, str], str] = {
    ("L/s", "L/min"): "60",
    ("mL", "L"): "0.001",
    ("cL", "L"): "0.01",
    ("1", "%"): "100",
}

NOT_MEASURED = "not_measured"
_FLAG = re.compile(r"^[a-z][a-z0-9_]*$")
_GRADE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_+-]{0,15}$")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def unit_factor(sent: str, code_unit: str) -> Decimal | None:
    """The factor from the unit a device sends to the code's unit; None when there is no exact conversion."""
    if sent == code_unit:
        return Decimal(1)
    factor = UNIT_FACTORS.get((sent, code_unit))
    return Decimal(factor) if factor is not None else None


class LayoutField(_Model):
    """One measured value at a fixed offset: value = raw x scale, in ``unit``, stored under ``code``."""

    offset: int = Field(ge=0, le=511)
    type: FieldType
    code: str
    unit: str  # UCUM unit of raw x scale as the device sends it
    scale: float = 1.0
    missing: int | None = None  # raw integer the device sends for "not measured" (e.g. 0xFFFF)

    @property
    def size(self) -> int:
        return FIELD_SIZES[self.type]

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        code = CODES.get(value)
        if code is None:
            raise ValueError(f"unknown code {value!r}; known: {', '.join(sorted(CODES))}")
        if not code.clinical:
            raise ValueError(f"code {value!r} is device-internal, not a measurement a layout can carry")
        return value

    @field_validator("scale")
    @classmethod
    def _scale(cls, value: float) -> float:
        if not math.isfinite(value) or not 1e-9 <= abs(value) <= 1e9:
            raise ValueError("scale must be a number whose size is between 1e-9 and 1e9")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        code_unit = CODES[self.code].unit
        if unit_factor(self.unit, code_unit) is None:
            known = sorted(f"{a}->{b}" for a, b in UNIT_FACTORS)
            raise ValueError(f"unit {self.unit!r} cannot be converted to {code_unit!r} (the unit of "
                             f"{self.code}); give {code_unit!r} or one of: {', '.join(known)}")
        if self.missing is not None:
            bounds = _INTEGER_RANGES.get(self.type)
            if bounds is None:
                raise ValueError(f"missing applies to integer types only; {self.type} has its own special values")
            if not bounds[0] <= self.missing <= bounds[1]:
                raise ValueError(f"missing {self.missing} does not fit in {self.type}")
        return self


class QualityByte(_Model):
    """A uint8 whose value names a grade; the reading gets the flag ``flag_prefix + grade`` (lower case)."""

    offset: int = Field(ge=0, le=511)
    flag_prefix: str
    grades: dict[int, str] = Field(min_length=1)

    @field_validator("flag_prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        if not _FLAG.match(value):
            raise ValueError(f"{value!r} must be lower-case letters, digits and '_', starting with a letter")
        return value

    @field_validator("grades")
    @classmethod
    def _grades(cls, value: dict[int, str]) -> dict[int, str]:
        for raw, name in value.items():
            if not 0 <= raw <= 0xFF:
                raise ValueError(f"grade value {raw} does not fit in a byte")
            if not _GRADE.match(name):
                raise ValueError(f"grade name {name!r} must be 1-16 letters, digits, '_', '+' or '-'")
        return value

    def flag(self, raw: int) -> str:
        name = self.grades.get(raw)
        return f"{self.flag_prefix}{name.lower()}" if name is not None else f"{self.flag_prefix}unknown"


class VendorLayout(_Model):
    """The whole value: ``length`` bytes at least (more are flagged, fewer are malformed)."""

    length: int = Field(ge=1, le=512)
    fields: tuple[LayoutField, ...] = Field(min_length=1)
    quality: QualityByte | None = None
    time_stamp: int | None = Field(default=None, ge=0, le=505)  # offset of a 7-byte GATT Date Time

    @model_validator(mode="after")
    def _fits(self) -> Self:
        spans: list[tuple[int, int, str]] = [(f.offset, f.size, f"field {f.code}") for f in self.fields]
        if self.quality is not None:
            spans.append((self.quality.offset, 1, "quality"))
        if self.time_stamp is not None:
            spans.append((self.time_stamp, DATE_TIME_SIZE, "time_stamp"))
        for start, size, what in spans:
            if start + size > self.length:
                raise ValueError(f"{what} at offset {start} ({size} byte(s)) runs past length {self.length}")
        ordered = sorted(spans)
        for (a_start, a_size, a), (b_start, _, b) in pairwise(ordered):
            if b_start < a_start + a_size:
                raise ValueError(f"{b} at offset {b_start} overlaps {a} at offset {a_start}")
        codes = [f.code for f in self.fields]
        twice = sorted({c for c in codes if codes.count(c) > 1})
        if twice:
            raise ValueError(f"code(s) given by more than one field: {twice}")
        return self


def _raw(data: bytes, f: LayoutField) -> int | float | Special:
    chunk = data[f.offset : f.offset + f.size]
    if f.type == "sfloat":
        return sfloat_from_raw(int.from_bytes(chunk, "little"))
    if f.type == "float":
        return float_from_raw(int.from_bytes(chunk, "little"))
    return int.from_bytes(chunk, "little", signed=f.type == "int16")


def _measurement(data: bytes, f: LayoutField) -> Measurement:
    unit = CODES[f.code].unit
    raw = _raw(data, f)
    if isinstance(raw, Special):
        return Measurement(f.code, None, unit, no_value_reason=str(raw.reason))
    if f.missing is not None and raw == f.missing:
        return Measurement(f.code, None, unit, no_value_reason=NOT_MEASURED)
    factor = unit_factor(f.unit, unit) or Decimal(1)
    # Decimal keeps "raw 345 x scale 0.01" at 3.45 rather than 3.4500000000000002.
    value = Decimal(repr(raw)) * Decimal(repr(f.scale)) * factor
    return Measurement(f.code, float(value), unit)


def decode_layout(layout: VendorLayout, characteristic: str, data: bytes) -> DecodedReading:
    """Read one value as ``layout`` declares it; a value shorter than the layout is a DecodeError."""
    data = bytes(data)
    if len(data) < layout.length:
        raise DecodeError(f"{characteristic}: value is {len(data)} byte(s), the layout needs {layout.length}")
    measurements = tuple(_measurement(data, f) for f in layout.fields)
    flags: list[str] = []
    device_time = None
    if layout.time_stamp is not None:
        cursor = Cursor(data[layout.time_stamp : layout.time_stamp + DATE_TIME_SIZE], characteristic)
        device_time, time_flags = read_date_time(cursor)
        flags.extend(time_flags)
    if layout.quality is not None:
        flags.append(layout.quality.flag(data[layout.quality.offset]))
    if len(data) > layout.length:
        flags.append("trailing_bytes_ignored")
    return DecodedReading(characteristic, measurements, device_time=device_time, flags=tuple(flags))


def encode_layout(layout: VendorLayout, values: dict[str, float | None], *, grade: int | None = None,
                  time_stamp: bytes | None = None) -> bytes:
    """The bytes a device with this layout sends: the inverse of :func:`decode_layout`, for simulators and
    tests. ``values`` are in each code's own unit; None (or absent) sends the field's missing value."""
    out = bytearray(layout.length)
    for f in layout.fields:
        value = values.get(f.code)
        factor = unit_factor(f.unit, CODES[f.code].unit) or Decimal(1)
        if f.type in ("sfloat", "float"):
            sent: float | NoValue = NoValue.NAN if value is None else float(
                Decimal(repr(value)) / factor / Decimal(repr(f.scale)))
            chunk = encode_sfloat(sent) if f.type == "sfloat" else encode_float(sent)
        else:
            if value is None:
                if f.missing is None:
                    raise ValueError(f"{f.code} has no missing value to send")
                raw = f.missing
            else:
                raw = int((Decimal(repr(value)) / factor / Decimal(repr(f.scale))).to_integral_value())
            chunk = raw.to_bytes(f.size, "little", signed=f.type == "int16")
        out[f.offset : f.offset + f.size] = chunk
    if layout.quality is not None:
        out[layout.quality.offset] = grade if grade is not None else min(layout.quality.grades)
    if layout.time_stamp is not None:
        out[layout.time_stamp : layout.time_stamp + DATE_TIME_SIZE] = time_stamp or bytes(DATE_TIME_SIZE)
    return bytes(out)
