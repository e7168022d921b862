"""A NEWS2-style partial score from the vital signs a home kit measures: pulse, SpO2, systolic pressure, temperature.

Source: Royal College of Physicians. National Early Warning Score (NEWS) 2: Standardising the assessment of
acute-illness severity in the NHS. London: RCP, 2017 (Chart 1 bands). Respiration rate, consciousness and
supplemental oxygen are not measured at home, so the score is partial and can only understate. SpO2 scale 2
(target 88–92 %) is used for COPD patients as a programme simplification (RCP: scale 2 is for confirmed
hypercapnic respiratory failure); all readings count as on air. An aggregate ≥ 5 is red (RCP: urgent response);
3–4 from at least two parameters is yellow. A single extreme parameter is already the threshold rule's alert.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from alerts.history import Context, values
from alerts.model import Finding, Reading, Severity
from alerts.rules import RuleSpec

RULE = "news2"
SET_SPAN = timedelta(hours=2)  # readings this close together form one set of observations


def pulse_score(v: float) -> int:
    return 3 if v <= 40 else 1 if v <= 50 else 0 if v <= 90 else 1 if v <= 110 else 2 if v <= 130 else 3


def spo2_scale1(v: float) -> int:
    return 3 if v <= 91 else 2 if v <= 93 else 1 if v <= 95 else 0


def spo2_scale2(v: float) -> int:  # on air
    return 3 if v <= 83 else 2 if v <= 85 else 1 if v <= 87 else 0


def systolic_score(v: float) -> int:
    return 3 if v <= 90 else 2 if v <= 100 else 1 if v <= 110 else 0 if v <= 219 else 3


def temp_score(v: float) -> int:
    return 3 if v <= 35.0 else 1 if v <= 36.0 else 0 if v <= 38.0 else 1 if v <= 39.0 else 2


def scorers(conditions: tuple[str, ...]) -> dict[str, Callable[[float], int]]:
    return {"pulse_rate": pulse_score, "spo2": spo2_scale2 if "copd" in conditions else spo2_scale1,
            "bp_systolic": systolic_score, "body_temp": temp_score}


def score(latest: dict[str, Reading], conditions: tuple[str, ...]) -> dict[str, int]:
    s = scorers(conditions)
    return {code: s[code](r.value) for code, r in latest.items()}


def evaluate(ctx: Context) -> list[Finding]:
    latest: dict[str, Reading] = {}
    for code in scorers(ctx.conditions):
        rs = ctx.window(code, 1)
        if rs:
            latest[code] = rs[-1]
    if not latest:
        return []
    newest = max(latest.values(), key=lambda r: r.measured_at)
    latest = {c: r for c, r in latest.items() if newest.measured_at - r.measured_at <= SET_SPAN}
    parts = score(latest, ctx.conditions)
    total = sum(parts.values())
    contributing = [c for c, p in parts.items() if p > 0]
    severity: Severity | None = "red" if total >= 5 else "yellow" if total >= 3 and len(contributing) >= 2 else None
    if severity is None:
        return []
    names = {"pulse_rate": ("pulse", "puls"), "spo2": ("SpO2", "iltmætning"),
             "bp_systolic": ("systolic", "systolisk"), "body_temp": ("temperature", "temperatur")}
    en = ", ".join(f"{names[c][0]} {latest[c].value:g} (+{parts[c]})" for c in contributing)
    da = ", ".join(f"{names[c][1]} {latest[c].value:g} (+{parts[c]})" for c in contributing)
    return [Finding(RULE, "", severity, newest, {
        "rule": RULE, "code": "", "severity": severity, "value": float(total), "unit": "score",
        "observed_at": newest.measured_at.isoformat(), "score": total, "parts": parts,
        "values": values(sorted(latest.values(), key=lambda r: r.measured_at), ctx.tz),
        "text": {"en": f"Early warning score {total} from home vital signs: {en} "
                       "(partial NEWS2: no respiration rate or consciousness).",
                 "da": f"Tidlig opsporingsscore {total} fra hjemmemålinger: {da} "
                       "(delvis NEWS2: uden respirationsfrekvens og bevidsthed)."}})]


SPEC = RuleSpec(RULE, ("pulse_rate", "spo2", "bp_systolic", "body_temp"), timedelta(days=1), (), evaluate,
                rearm=timedelta(days=1))
