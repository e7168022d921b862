"""Sustained hyperglycaemia: three or more readings above 13.9 mmol/L in 24 hours, or every reading over 12 hours.

Sources: International Consensus on Time in Range (Battelino et al., Diabetes Care 2019;42:1593): level 2
hyperglycaemia is > 13.9 mmol/L (250 mg/dL). One high reading after a meal is common; several in a day, or no
reading below it for half a day, suggests illness, missed insulin or rising ketones (sick-day rules).
"""

from __future__ import annotations

from datetime import timedelta

from alerts.explain import fmt
from alerts.history import Context, values
from alerts.model import Finding
from alerts.rules import RuleSpec

RULE = "glucose_sustained_high"
CODE = "glucose"
HIGH = 13.9


def evaluate(ctx: Context) -> list[Finding]:
    day = ctx.window(CODE, 1)
    highs = [r for r in day if r.value > HIGH]
    half_day = ctx.window(CODE, 0.5)
    all_high = len(half_day) >= 2 and all(r.value > HIGH for r in half_day)
    if len(highs) < 3 and not all_high:
        return []
    newest = highs[-1]
    how_en = f"{len(highs)} readings above {fmt(HIGH)} mmol/L in 24 hours" if len(highs) >= 3 else \
        f"every reading above {fmt(HIGH)} mmol/L for 12 hours"
    how_da = f"{len(highs)} målinger over {fmt(HIGH)} mmol/L på 24 timer" if len(highs) >= 3 else \
        f"alle målinger over {fmt(HIGH)} mmol/L i 12 timer"
    return [Finding(RULE, CODE, "yellow", newest, {
        "rule": RULE, "code": CODE, "severity": "yellow", "value": newest.value, "unit": newest.unit,
        "observed_at": newest.measured_at.isoformat(), "threshold": {"above": HIGH},
        "values": values(list(day), ctx.tz),
        "text": {"en": f"High blood sugar: {how_en} (highest {fmt(max(r.value for r in highs))}).",
                 "da": f"Højt blodsukker: {how_da} (højest {fmt(max(r.value for r in highs))})."}})]


SPEC = RuleSpec(RULE, (CODE,), timedelta(days=1), ("diabetes",), evaluate, rearm=timedelta(days=2))
