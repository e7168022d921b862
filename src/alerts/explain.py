"""Plain, short explanations a nurse reads in five seconds, in Danish and English."""

from __future__ import annotations

from device_profiles.codes import CODES

_UNIT_TEXT = {"mm[Hg]": "mmHg", "/min": "/min", "Cel": "°C", "kg": "kg", "%": "%", "mmol/L": "mmol/L",
              "L": "L", "L/min": "L/min"}


def unit_text(unit: str) -> str:
    return _UNIT_TEXT.get(unit, unit)


def fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}"


def threshold_text(code: str, value: float, unit: str, side: str, bound: float, severity: str) -> dict[str, str]:
    c = CODES[code]
    u = unit_text(unit)
    level_en = "red" if severity == "red" else "yellow"
    level_da = "røde" if severity == "red" else "gule"
    if side == "high":
        en = f"{c.name_en} {fmt(value)} {u} is above the {level_en} limit {fmt(bound)} {u}."
        da = f"{c.name_da} {fmt(value)} {u} er over den {level_da} grænse {fmt(bound)} {u}."
    else:
        en = f"{c.name_en} {fmt(value)} {u} is below the {level_en} limit {fmt(bound)} {u}."
        da = f"{c.name_da} {fmt(value)} {u} er under den {level_da} grænse {fmt(bound)} {u}."
    return {"en": en, "da": da}


def late_text(measured: str, received: str) -> dict[str, str]:
    return {"en": f" Late data: measured {measured}, received {received}.",
            "da": f" Forsinkede data: målt {measured}, modtaget {received}."}
