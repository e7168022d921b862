"""IEEE 11073-20601 medical floats (16-bit SFLOAT, 32-bit FLOAT): a number, or the reason there is none."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum


class NoValue(StrEnum):
    """Why a medical float carries no number. The values are the stable ``no_value_reason`` strings."""

    NAN = "not_a_number"
    NRES = "not_at_this_resolution"
    POSITIVE_INFINITY = "positive_infinity"
    NEGATIVE_INFINITY = "negative_infinity"
    RESERVED = "reserved_for_future_use"


@dataclass(frozen=True)
class Special:
    """A special value: the device sent no measurement, only the reason."""

    reason: NoValue


# [IEEE 11073-20601 Annex F, SFLOAT-Type] special values, expressed on the 12-bit two's-complement mantissa
# (exponent 0): NaN = +(2^11 - 1), NRes = -(2^11), +INF = +(2^11 - 2), -INF = -(2^11 - 2),
# reserved = -(2^11 - 1).
_SFLOAT_SPECIAL: dict[int, NoValue] = {
    0x07FF: NoValue.NAN,
    0x0800: NoValue.NRES,
    0x07FE: NoValue.POSITIVE_INFINITY,
    0x0802: NoValue.NEGATIVE_INFINITY,
    0x0801: NoValue.RESERVED,
}
# [IEEE 11073-20601 Annex F, FLOAT-Type] the same five specials on the 24-bit mantissa (exponent 0).
_FLOAT_SPECIAL: dict[int, NoValue] = {
    0x007FFFFF: NoValue.NAN,
    0x00800000: NoValue.NRES,
    0x007FFFFE: NoValue.POSITIVE_INFINITY,
    0x00800002: NoValue.NEGATIVE_INFINITY,
    0x00800001: NoValue.RESERVED,
}
_SFLOAT_SPECIAL_RAW = {reason: raw for raw, reason in _SFLOAT_SPECIAL.items()}
_FLOAT_SPECIAL_RAW = {reason: raw for raw, reason in _FLOAT_SPECIAL.items()}

# The largest mantissa magnitude that is an ordinary number; the values above it are taken by the specials.
SFLOAT_MANTISSA_MAX = 2045
FLOAT_MANTISSA_MAX = 8_388_605


def _signed(value: int, bits: int) -> int:
    return value - (1 << bits) if value & (1 << (bits - 1)) else value


def _scaled(mantissa: int, exponent: int) -> float:
    # Decimal keeps base-10 exponents exact, so 0x0072 with exponent -1 reads 11.4, not 11.399999999999999.
    return float(Decimal(mantissa).scaleb(exponent))


def sfloat_from_raw(raw: int) -> float | Special:
    """Decode one 16-bit SFLOAT word (already assembled little-endian) to a number or a :class:`Special`."""
    if not 0 <= raw <= 0xFFFF:
        raise ValueError(f"SFLOAT word out of range: {raw}")
    mantissa_bits = raw & 0x0FFF
    # A special mantissa stays special whatever the exponent nibble says: a device that sets the exponent on a
    # NaN still sent no measurement, and turning it into 2047 x 10^e would invent one.
    special = _SFLOAT_SPECIAL.get(mantissa_bits)
    if special is not None:
        return Special(special)
    return _scaled(_signed(mantissa_bits, 12), _signed(raw >> 12, 4))


def float_from_raw(raw: int) -> float | Special:
    """Decode one 32-bit FLOAT word (already assembled little-endian) to a number or a :class:`Special`."""
    if not 0 <= raw <= 0xFFFF_FFFF:
        raise ValueError(f"FLOAT word out of range: {raw}")
    mantissa_bits = raw & 0x00FF_FFFF
    special = _FLOAT_SPECIAL.get(mantissa_bits)
    if special is not None:
        return Special(special)
    return _scaled(_signed(mantissa_bits, 24), _signed(raw >> 24, 8))


def _encode(
    value: float | NoValue,
    *,
    mantissa_bits: int,
    exponent_bits: int,
    mantissa_max: int,
    specials: dict[NoValue, int],
    exponent: int | None,
) -> int:
    if isinstance(value, NoValue):
        return specials[value]
    exp_min, exp_max = -(1 << (exponent_bits - 1)), (1 << (exponent_bits - 1)) - 1
    if exponent is not None and not exp_min <= exponent <= exp_max:
        raise ValueError(f"exponent {exponent} outside {exp_min}..{exp_max}")
    exact = Decimal(repr(float(value)))
    if not exact.is_finite():
        raise ValueError(f"{value} is not finite; pass a NoValue to encode a special value")
    # Prefer exponent 0, then ever finer exponents, then coarser ones: the first exact fit is what a device
    # would send for the value (114 -> 0x0072, 11.4 -> 0xF072). Without an exact fit, the finest that fits.
    order = [exponent] if exponent is not None else [*range(0, exp_min - 1, -1), *range(1, exp_max + 1)]
    chosen: tuple[int, int] | None = None
    for exp in order:
        mantissa = int(exact.scaleb(-exp).to_integral_value())
        if abs(mantissa) > mantissa_max:
            continue
        if Decimal(mantissa).scaleb(exp) == exact:
            chosen = (mantissa, exp)
            break
        if chosen is None or exp < chosen[1]:
            chosen = (mantissa, exp)
    if chosen is None:
        raise ValueError(f"{value} cannot be represented (mantissa limit ±{mantissa_max})")
    mantissa, exp = chosen
    mask = (1 << mantissa_bits) - 1
    return ((exp & ((1 << exponent_bits) - 1)) << mantissa_bits) | (mantissa & mask)


def sfloat_to_raw(value: float | NoValue, exponent: int | None = None) -> int:
    """Encode a number (or a special) as an SFLOAT word; with no ``exponent``, the most precise that fits."""
    return _encode(
        value,
        mantissa_bits=12,
        exponent_bits=4,
        mantissa_max=SFLOAT_MANTISSA_MAX,
        specials=_SFLOAT_SPECIAL_RAW,
        exponent=exponent,
    )


def float_to_raw(value: float | NoValue, exponent: int | None = None) -> int:
    """Encode a number (or a special) as a FLOAT word; with no ``exponent`` the most precise one that fits."""
    return _encode(
        value,
        mantissa_bits=24,
        exponent_bits=8,
        mantissa_max=FLOAT_MANTISSA_MAX,
        specials=_FLOAT_SPECIAL_RAW,
        exponent=exponent,
    )


def encode_sfloat(value: float | NoValue, exponent: int | None = None) -> bytes:
    """Two little-endian bytes, as a GATT characteristic carries an SFLOAT."""
    return sfloat_to_raw(value, exponent).to_bytes(2, "little")


def encode_float(value: float | NoValue, exponent: int | None = None) -> bytes:
    """Four little-endian bytes, as a GATT characteristic carries a FLOAT."""
    return float_to_raw(value, exponent).to_bytes(4, "little")
