"""Plain, short explanations a nurse reads in five seconds, in Danish and English."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from device_profiles.codes import CODES

# Explanations are read by clinicians in the patients' own time zone.
PATIENT_TZ = ZoneInfo("Europe/Copenhagen")
_MONTHS_DA = ("jan.", "feb.", "mar.", "apr.", "maj", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec.")
_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")

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


def when_text(at: datetime) -> dict[str, str]:
    """A moment as people say it here: '4 Nov 08:54' / '4. nov. kl. 08:54', in local time."""
    local = at.astimezone(PATIENT_TZ)
    return {"en": f"{local.day} {local.strftime('%b')} {local:%H:%M}",
            "da": f"{local.day}. {_MONTHS_DA[local.month - 1]} kl. {local:%H:%M}"}


def late_text(measured: datetime, received: datetime) -> dict[str, str]:
    m, r = when_text(measured), when_text(received)
    return {"en": f" Late data: measured {m['en']}, received {r['en']}.",
            "da": f" Forsinkede data: målt {m['da']}, modtaget {r['da']}."}


def localise(explanation: dict[str, object]) -> dict[str, object]:
    """Danish text writes decimals with a comma (2,9 mmol/L)."""
    text = explanation.get("text")
    if isinstance(text, dict) and isinstance(text.get("da"), str):
        explanation = {**explanation, "text": {**text, "da": _DECIMAL_POINT.sub(",", text["da"])}}
    return explanation


# What each rule is called where a nurse sees it (the threshold rule is named by its measurement instead).
RULE_TITLES: dict[str, dict[str, str]] = {
    "copd_exacerbation": {"en": "Possible COPD exacerbation", "da": "Mulig KOL-forværring"},
    "hf_weight": {"en": "Weight gain (heart failure)", "da": "Vægtøgning (hjertesvigt)"},
    "glucose_nocturnal_lows": {"en": "Low blood sugar at night", "da": "Lavt blodsukker om natten"},
    "glucose_sustained_high": {"en": "Blood sugar high for long", "da": "Vedvarende højt blodsukker"},
    "glucose_time_in_range": {"en": "Time in range", "da": "Tid i målområde"},
    "bp_home_mean": {"en": "Home blood pressure, 7-day mean", "da": "Hjemmeblodtryk, 7-dages gennemsnit"},
    "news2": {"en": "Early warning score (NEWS2)", "da": "Tidlig opsporing (NEWS2)"},
    "personal_baseline": {"en": "Unusual for this patient", "da": "Usædvanligt for borgeren"},
    "no_data": {"en": "No measurement", "da": "Ingen måling"},
}


def rule_title(rule: str, locale: str) -> str | None:
    titles = RULE_TITLES.get(rule)
    return titles.get(locale, titles["en"]) if titles else None
