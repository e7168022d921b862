"""Turning alert and patient rows into the words a nurse reads, in her language."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from alerts.explain import rule_title
from clinician_ui.i18n import STRINGS, code_for, code_name, number, t, unit_label


def explanation_text(alert: dict[str, Any], locale: str) -> str:
    """The alert core's own sentence when it wrote one; otherwise one built from its fields."""
    explanation = alert.get("explanation") or {}
    text = explanation.get("text") or {}
    if isinstance(text, dict) and (text.get(locale) or text.get("en") or text.get("da")):
        return str(text.get(locale) or text.get("en") or text.get("da"))
    code = str(explanation.get("code") or alert.get("code") or "")
    name = code_name(code, locale) if code else str(alert.get("rule", ""))
    value = explanation.get("value", alert.get("value"))
    unit = unit_label(str(explanation.get("unit") or _unit_of(code)), locale)
    parts = [name]
    if value is not None:
        parts.append(f"{number(float(value), locale)} {unit}".strip())
    bound, side = explanation.get("bound"), explanation.get("side")
    if bound is not None and side in ("high", "low"):
        words = {("da", "high"): "over grænsen", ("da", "low"): "under grænsen",
                 ("en", "high"): "above the limit", ("en", "low"): "below the limit"}
        parts.append(f"({words[(locale, side)]} {number(float(bound), locale)})")
    return " ".join(parts)


def _unit_of(code: str) -> str:
    c = code_for(code)
    return c.unit if c else ""


def alert_value(alert: dict[str, Any], locale: str) -> str:
    explanation = alert.get("explanation") or {}
    value = alert.get("value", explanation.get("value"))
    if value is None:
        return ""
    code = str(explanation.get("code") or alert.get("code") or "")
    unit = unit_label(str(explanation.get("unit") or _unit_of(code)), locale)
    return f"{number(float(value), locale)} {unit}".strip()


def code_unit(code: str, locale: str) -> str:
    return unit_label(_unit_of(code), locale)


def alert_unit(alert: dict[str, Any], locale: str) -> str:
    explanation = alert.get("explanation") or {}
    code = str(explanation.get("code") or alert.get("code") or "")
    return unit_label(str(explanation.get("unit") or _unit_of(code)), locale)


def alert_measure(alert: dict[str, Any], locale: str) -> str:
    """The headline of an alert: the rule's name for trend rules, the measurement for single readings."""
    title = rule_title(str(alert.get("rule", "")), locale)
    if title and alert.get("rule") != "no_data":
        return title
    explanation = alert.get("explanation") or {}
    code = str(explanation.get("code") or alert.get("code") or "")
    return code_name(code, locale) if code else str(alert.get("rule", ""))


def conditions_text(conditions: list[str], locale: str) -> str:
    return ", ".join(t(locale, f"condition_{c}") if f"condition_{c}" in STRINGS else c for c in conditions)


def stale_days(latest: datetime | None, now: datetime) -> int | None:
    """Whole days without a reading, when that is two days or more (worth a nurse's glance)."""
    if latest is None:
        return None
    days = int((now - latest).total_seconds() // 86400)
    return days if days >= 2 else None


def ranges_text(bands: dict[str, float | None] | None, unit: str, locale: str) -> str:
    """'RØD < 88 · GUL < 91 %': the limits a chart's shading stands for, in words."""
    if not bands:
        return ""
    parts = []
    for key, sev, sign in (("red_low", "red", "<"), ("yellow_low", "yellow", "<"),
                           ("yellow_high", "yellow", ">"), ("red_high", "red", ">")):
        bound = bands.get(key)
        if bound is not None:
            parts.append(f"{t(locale, 'severity_' + sev)} {sign} {number(bound, locale)}")
    return " · ".join(parts) + (f" {unit}" if parts else "")


def battery_text(devices: list[tuple[str, int]]) -> str:
    return ", ".join(f"{name} {pct} %" for name, pct in devices)


_TIR_ORDER = ("very_low", "low", "in_range", "high", "very_high")


def tir_segments(ranges: dict[str, float]) -> list[dict[str, Any]]:
    """Left to right along a 100-unit bar: each range's share, where it starts and how wide it is."""
    out, x = [], 0.0
    for key in _TIR_ORDER:
        pct = ranges.get(key, 0.0)
        out.append({"key": key, "pct": pct, "x": round(x, 3), "width": round(pct, 3)})
        x += pct
    return out


def gmi_mmol_mol(gmi_pct: float) -> float:
    """The IFCC unit Danish laboratories report HbA1c in."""
    return (gmi_pct - 2.15) * 10.929
