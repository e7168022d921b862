"""Unit conversions to the one UCUM unit per code, and the step from a decoded number (or special) to a
Measurement."""

from __future__ import annotations

from collections.abc import Callable

from device_profiles.codes import CODES
from device_profiles.reading import Measurement
from device_profiles.sfloat import Special

# Exact by definition (international avoirdupois pound, international inch).
KG_PER_LB = 0.45359237
M_PER_INCH = 0.0254
# 1 mmHg = 133.322387415 Pa, so 1 kPa = 1000 / 133.322387415 mmHg.
MMHG_PER_KPA = 1000 / 133.322387415
# Glucose C6H12O6, molar mass 180.156 g/mol: mmol/L = g/L / 180.156 * 1000.
GLUCOSE_G_PER_MOL = 180.156


def kpa_to_mmhg(kpa: float) -> float:
    return round(kpa * MMHG_PER_KPA, 1)


def mmhg_to_kpa(mmhg: float) -> float:
    return round(mmhg / MMHG_PER_KPA, 1)


def lb_to_kg(lb: float) -> float:
    return round(lb * KG_PER_LB, 3)


def inch_to_m(inch: float) -> float:
    return round(inch * M_PER_INCH, 3)


def fahrenheit_to_celsius(fahrenheit: float) -> float:
    return round((fahrenheit - 32) * 5 / 9, 2)


def glucose_kg_per_l_to_mmol_per_l(kg_per_l: float) -> float:
    return round(kg_per_l * 1000 / GLUCOSE_G_PER_MOL * 1000, 2)


def glucose_mol_per_l_to_mmol_per_l(mol_per_l: float) -> float:
    return round(mol_per_l * 1000, 2)


def measurement(
    code: str, value: float | Special, convert: Callable[[float], float] | None = None
) -> Measurement:
    """A Measurement in the code's own unit; a special value becomes ``value=None`` with its reason."""
    unit = CODES[code].unit
    if isinstance(value, Special):
        return Measurement(code, None, unit, no_value_reason=str(value.reason))
    return Measurement(code, convert(value) if convert else value, unit)
