"""The vendor-neutral output of every decoder: frozen values, no I/O, no patient."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


class DecodeError(ValueError):
    """The one error a decoder raises: the bytes cannot be read as the characteristic says."""


@dataclass(frozen=True)
class Measurement:
    """One measured quantity. ``value`` is None when the device sent a special value (NaN, NRes, ...)."""

    code: str  # key in device_profiles.codes.CODES, e.g. "bp_systolic"
    value: float | None
    unit: str  # UCUM
    no_value_reason: str | None = None


@dataclass(frozen=True)
class DecodedReading:
    """Everything one characteristic value says: measurements, device time and quality flags."""

    characteristic: str  # 16-bit UUID as 4 lower-case hex digits, e.g. "2a35"
    measurements: tuple[Measurement, ...]
    device_time: datetime | None = None  # as the device clock says, naive (device local time)
    user_index: int | None = None
    flags: tuple[str, ...] = field(default_factory=tuple)
    sequence: int | None = None  # stored-record sequence number where the device has one
