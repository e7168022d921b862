"""Home blood pressure above target: the 7-day home mean at or above 135/85 mmHg, for the GP's review list.

Sources: 2023 ESH Guidelines for the management of arterial hypertension (Mancia et al., J Hypertens
2023;41:1874) and the ESH position paper on home blood pressure monitoring (Parati et al., J Hypertens
2021;39:1742): hypertension on home readings is a mean ≥ 135/85 mmHg over 3–7 days, first day discarded.
Crisis values (≥ 180/120) are the threshold rule's red alert.
"""

from __future__ import annotations

import statistics
from datetime import timedelta

from alerts.explain import fmt
from alerts.history import Context, values
from alerts.model import Finding
from alerts.rules import RuleSpec

RULE = "bp_home_mean"
SYS_LIMIT, DIA_LIMIT = 135.0, 85.0
DAYS = 7
MIN_DAYS = 3  # days with readings, after discarding the first


def evaluate(ctx: Context) -> list[Finding]:
    sys_ = list(ctx.window("bp_systolic", DAYS))
    dia = list(ctx.window("bp_diastolic", DAYS))
    if not sys_:
        return []
    first = sys_[0].measured_at.astimezone(ctx.tz).date()
    sys_ = [r for r in sys_ if r.measured_at.astimezone(ctx.tz).date() != first]
    dia = [r for r in dia if r.measured_at.astimezone(ctx.tz).date() != first]
    if len({r.measured_at.astimezone(ctx.tz).date() for r in sys_}) < MIN_DAYS or not dia:
        return []
    ms, md = statistics.fmean(r.value for r in sys_), statistics.fmean(r.value for r in dia)
    if ms < SYS_LIMIT and md < DIA_LIMIT:
        return []
    newest = sys_[-1]
    return [Finding(RULE, "bp_systolic", "review", newest, {
        "rule": RULE, "code": "bp_systolic", "severity": "review", "value": newest.value, "unit": newest.unit,
        "observed_at": newest.measured_at.isoformat(), "mean": [round(ms), round(md)], "readings": len(sys_),
        "threshold": {"systolic": SYS_LIMIT, "diastolic": DIA_LIMIT, "days": DAYS}, "values": values(sys_, ctx.tz),
        "text": {"en": f"Home blood pressure {fmt(round(ms))}/{fmt(round(md))} mmHg on average over {DAYS} days "
                       f"({len(sys_)} readings); target below 135/85.",
                 "da": f"Hjemmeblodtryk {fmt(round(ms))}/{fmt(round(md))} mmHg i gennemsnit over {DAYS} dage "
                       f"({len(sys_)} målinger); mål under 135/85."}})]


SPEC = RuleSpec(RULE, ("bp_systolic", "bp_diastolic"), timedelta(days=DAYS), (), evaluate, rearm=timedelta(days=14))
