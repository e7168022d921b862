"""Recurrent nocturnal hypoglycaemia: two or more readings below 3.9 mmol/L between 00 and 06 local time in 7 days.

Sources: ADA Standards of Care, Glycemic Goals and Hypoglycemia (International Hypoglycaemia Study Group
classification): level 1 < 3.9 mmol/L (70 mg/dL), level 2 < 3.0 mmol/L (54 mg/dL). Single lows are the
threshold rule's job; nocturnal lows often go unnoticed and recur, and "two in seven nights" is the
programme's count for "recurrent". Red when any of them is level 2.
"""

from __future__ import annotations

from datetime import timedelta

from alerts.explain import fmt
from alerts.history import Context, values
from alerts.model import Finding, Severity
from alerts.rules import RuleSpec

RULE = "glucose_nocturnal_lows"
CODE = "glucose"
LEVEL1, LEVEL2 = 3.9, 3.0
NIGHT_HOURS = range(0, 6)
MIN_COUNT, DAYS = 2, 7


def evaluate(ctx: Context) -> list[Finding]:
    lows = [r for r in ctx.window(CODE, DAYS)
            if r.value < LEVEL1 and r.measured_at.astimezone(ctx.tz).hour in NIGHT_HOURS]
    if len(lows) < MIN_COUNT:
        return []
    severity: Severity = "red" if any(r.value < LEVEL2 for r in lows) else "yellow"
    lowest = min(r.value for r in lows)
    newest = lows[-1]
    return [Finding(RULE, CODE, severity, newest, {
        "rule": RULE, "code": CODE, "severity": severity, "value": newest.value, "unit": newest.unit,
        "observed_at": newest.measured_at.isoformat(), "count": len(lows),
        "threshold": {"below": LEVEL1, "level2": LEVEL2, "hours": "00-06", "days": DAYS},
        "values": values(lows, ctx.tz),
        "text": {"en": f"{len(lows)} night-time low blood sugars in {DAYS} days (lowest {fmt(lowest)} mmol/L).",
                 "da": f"{len(lows)} lave blodsukre om natten på {DAYS} dage (lavest {fmt(lowest)} mmol/L)."}})]


SPEC = RuleSpec(RULE, (CODE,), timedelta(days=DAYS), ("diabetes",), evaluate, rearm=timedelta(days=7))
