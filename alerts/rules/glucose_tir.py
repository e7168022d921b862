"""14-day time in range below 70 %, with the glucose management indicator, for the GP's review list.

Sources: International Consensus on Time in Range (Battelino et al., Diabetes Care 2019;42:1593): most adults
with diabetes should spend > 70 % of readings in 3.9–10.0 mmol/L over a 14-day profile. GMI (Bergenstal et al.,
Diabetes Care 2018;41:2275): GMI % = 3.31 + 0.02392 × mean glucose in mg/dL. Both are defined on continuous
glucose monitoring; from 3–4 finger-prick readings a day they are estimates, and the explanation says so.
"""

from __future__ import annotations

import statistics
from datetime import timedelta

from alerts.explain import fmt
from alerts.history import Context, values
from alerts.model import Finding
from alerts.rules import RuleSpec

RULE = "glucose_time_in_range"
CODE = "glucose"
LOW, HIGH = 3.9, 10.0
TARGET = 0.70
DAYS = 14
MIN_READINGS, MIN_DAYS = 28, 10
MG_PER_MMOL = 18.016


def gmi(mean_mmol: float) -> float:
    return 3.31 + 0.02392 * mean_mmol * MG_PER_MMOL


def evaluate(ctx: Context) -> list[Finding]:
    rs = ctx.window(CODE, DAYS)
    n_days = len({r.measured_at.astimezone(ctx.tz).date() for r in rs})
    if len(rs) < MIN_READINGS or n_days < MIN_DAYS:
        return []
    tir = sum(LOW <= r.value <= HIGH for r in rs) / len(rs)
    if tir >= TARGET:
        return []
    below = sum(r.value < LOW for r in rs) / len(rs)
    mean = statistics.fmean(r.value for r in rs)
    g = gmi(mean)
    newest = rs[-1]
    return [Finding(RULE, CODE, "review", newest, {
        "rule": RULE, "code": CODE, "severity": "review", "value": newest.value, "unit": newest.unit,
        "observed_at": newest.measured_at.isoformat(), "tir_pct": round(100 * tir), "tbr_pct": round(100 * below),
        "mean_mmol": round(mean, 1), "gmi_pct": round(g, 1), "readings": len(rs),
        "threshold": {"tir_target_pct": 70, "range": [LOW, HIGH], "days": DAYS},
        "values": values(list(rs), ctx.tz),
        "text": {"en": f"Time in range {round(100 * tir)} % over {DAYS} days (target > 70 %), "
                       f"{round(100 * below)} % below range; mean {fmt(mean)} mmol/L, GMI {fmt(g)} % "
                       f"(estimated from {len(rs)} finger-prick readings).",
                 "da": f"Tid i mål {round(100 * tir)} % over {DAYS} dage (mål > 70 %), "
                       f"{round(100 * below)} % under mål; gennemsnit {fmt(mean)} mmol/L, GMI {fmt(g)} % "
                       f"(skønnet ud fra {len(rs)} fingerprik-målinger)."}})]


SPEC = RuleSpec(RULE, (CODE,), timedelta(days=DAYS), ("diabetes",), evaluate, rearm=timedelta(days=14))
