"""The data behind a patient's trend charts: readings per measurement and the red/yellow ranges."""

from __future__ import annotations

import math
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from alerts.thresholds import Bands, bands_for
from clinician_ui.i18n import TZ, code_for, code_name, number, unit_label, when

# The order a nurse reads a patient in: circulation, breathing, fluid, sugar, temperature, lung function.
_ORDER = ["bp_systolic", "bp_diastolic", "pulse_rate", "spo2", "body_weight", "glucose", "body_temp",
          "fev1", "fev1_fvc", "pef", "fvc", "fev6", "bp_mean", "bmi", "body_height"]
PERIODS = (7, 30, 90)


def _rank(loinc: str) -> tuple[int, str]:
    c = code_for(loinc)
    return (_ORDER.index(c.key) if c and c.key in _ORDER else len(_ORDER), loinc)


def _nice_step(span: float) -> float:
    """A 1-2-5 step that cuts the span into about five parts."""
    raw = max(span, 1e-6) / 5
    power = 10 ** math.floor(math.log10(raw))
    return float(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))


def _y_range(values: list[float], bands: dict[str, float | None], possible: tuple[float, float] | None
             ) -> tuple[float, float]:
    """Every reading, and the limits near them (far-off limits would squash the readings), on round numbers."""
    lo, hi = min(values), max(values)
    reach = max(hi - lo, abs(hi) * 0.1, 1.0)
    for bound in bands.values():
        if bound is not None and lo - reach <= bound <= hi + reach:
            lo, hi = min(lo, bound), max(hi, bound)
    step = _nice_step(hi - lo)
    lo, hi = math.floor(lo / step) * step, math.ceil(hi / step) * step
    if lo == min(values):
        lo -= step
    if hi == max(values):
        hi += step
    if possible:
        lo, hi = max(lo, possible[0]), min(hi, possible[1])
    return lo, hi


def _day_ticks(now: datetime, days: int) -> list[int]:
    """Local midnights (Copenhagen) across the period: daily for a week, else weekly or fortnightly."""
    every = 1 if days <= 7 else (7 if days <= 31 else 14)
    # Aware arithmetic on a zoneinfo time keeps the wall clock, so these stay midnights across DST.
    midnight = now.astimezone(TZ).replace(hour=0, minute=0, second=0, microsecond=0)
    start = now - timedelta(days=days)
    ticks = [midnight - timedelta(days=back) for back in range(0, days + 1, every)]
    return sorted(int(tick.timestamp() * 1000) for tick in ticks if tick >= start)


def build(conditions: list[str], codes: list[str], readings: list[dict[str, Any]], days: int,
          locale: str, now: datetime,
          overrides: dict[str, tuple[float | None, float | None, float | None, float | None]] | None = None,
          ) -> list[dict[str, Any]]:
    """One chart per measurement the patient has ever had, readings of the last `days` days; a patient's own
    threshold override replaces the programme's ranges for that measurement."""
    by_code: dict[str, list[dict[str, Any]]] = {c: [] for c in codes}
    for r in readings:
        by_code.setdefault(r["code"], []).append(r)
    charts = []
    for loinc in sorted(by_code, key=_rank):
        rows = by_code[loinc]
        code = code_for(loinc)
        own = (overrides or {}).get(code.key) if code else None
        bands_obj = Bands(*own) if own else (bands_for(conditions, code.key) if code else None)
        bands: dict[str, float | None] = asdict(bands_obj) if bands_obj else {}
        unit = unit_label(rows[0]["unit"] if rows else (code.unit if code else ""), locale)
        values = [float(r["value"]) for r in rows]
        y_min, y_max = _y_range(values, bands, code.possible if code else None) if values else (0.0, 1.0)
        latest = rows[-1] if rows else None
        charts.append({
            "id": f"chart-{loinc}",
            "loinc": loinc,
            "name": code_name(loinc, locale),
            "unit": unit,
            "points": [[int(r["measured_at"].timestamp() * 1000), float(r["value"]),
                        severity_of(bands_obj, float(r["value"])), list(r["flags"])] for r in rows],
            "bands": bands or None,
            "y_min": y_min,
            "y_max": y_max,
            "x_min": int((now - timedelta(days=days)).timestamp() * 1000),
            # A little room after "now" so the latest reading's marker is not cut in half at the edge.
            "x_max": int((now + timedelta(days=days) * 0.02).timestamp() * 1000),
            "x_ticks": _day_ticks(now, days),
            "latest_text": f"{number(float(latest['value']), locale)} {unit}" if latest else None,
            "latest_when": when(latest["measured_at"], locale, now) if latest else None,
            "latest_severity": severity_of(bands_obj, float(latest["value"])) if latest else None,
            "change_text": _change(values, unit, locale),
            "decimals": 0 if all(v.is_integer() for v in values) else 1,
        })
    return charts


def severity_of(bands: Any, value: float) -> str | None:
    found = bands.classify(value) if bands else None
    return found[0] if found else None


def _change(values: list[float], unit: str, locale: str) -> str | None:
    if len(values) < 2:
        return None
    delta = values[-1] - values[0]
    sign = "+" if delta > 0 else ("−" if delta < 0 else "±")
    return f"{sign}{number(abs(delta), locale, 1 if not delta.is_integer() else 0)} {unit}"


def add_markers(chart_list: list[dict[str, Any]], alerts: list[dict[str, Any]], locale: str) -> None:
    """Each chart gets its measurement's alerts in the period: [time ms, severity, status] for a marker."""
    for chart in chart_list:
        code = code_for(chart["loinc"])
        chart["markers"] = [
            [int(a["observed_at"].timestamp() * 1000), a["severity"], a["status"]]
            for a in alerts
            if code is not None and code_for(str(a["code"])) == code
            and int(a["observed_at"].timestamp() * 1000) >= chart["x_min"]
        ]
