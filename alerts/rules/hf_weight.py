"""Heart-failure fluid retention from daily weights: the 2 kg in 3 days rule of thumb and a personal trend.

Sources: 2021 ESC Guidelines for the diagnosis and treatment of acute and chronic heart failure
(McDonagh et al., Eur Heart J 2021;42:3599) and the HFA self-care recommendations (Jaarsma et al.,
Eur J Heart Fail 2021;23:157): patients weigh daily and report an unexpected gain of more than 2 kg in 3 days.
Chaudhry et al., Circulation 2007;116:1549: weight rises gradually from about 30 days before a heart-failure
admission and diverges most in the final week, often by less than 2 kg — which a 3-day window misses.

The personal trend is a moving-average convergence/divergence (MACD) on morning weights: a fast minus a slow
exponential average, which is about (slow lag − fast lag) × slope for a steady gain, compared with the spread
the same quantity has in the patient's own quiet weeks. Red for the rule of thumb (above the patient's own
day-to-day noise), yellow for the trend.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from alerts.explain import fmt
from alerts.history import Context, DayValue, daily, values
from alerts.model import Finding
from alerts.rules import RuleSpec

RULE = "hf_weight"
CODE = "body_weight"
GAIN_KG = 2.0
GAIN_DAYS = 3
FAST_SPAN, SLOW_SPAN = 3.0, 14.0  # days
MACD_MIN_KG = 0.5  # a trend smaller than this is not acted on however quiet the patient's weight is
MACD_NOISE_K = 2.5  # … nor one within this many robust SDs of the patient's own MACD spread
MIN_DAYS = 14  # morning weights needed before the trend detector may fire
NOISE_GUARD_K = 3.0  # rule of thumb: the gain must also exceed this many SDs of the patient's 3-day change


@dataclass(frozen=True)
class Gain:
    kg: float
    start: DayValue
    end: DayValue


def _mornings(ctx: Context, days: float) -> list[DayValue]:
    return daily(ctx.window(CODE, days), ctx.tz, "first")


def three_day_gain(days: Sequence[DayValue]) -> Gain | None:
    """Latest morning weight minus the lowest morning weight of the 3 days before it."""
    if len(days) < 2:
        return None
    end = days[-1]
    prior = [d for d in days[:-1] if 0 < (end.day - d.day).days <= GAIN_DAYS]
    if not prior:
        return None
    start = min(prior, key=lambda d: d.value)
    return Gain(end.value - start.value, start, end)


def rule_of_thumb(ctx: Context) -> Gain | None:
    """The plain guideline rule: more than 2 kg in 3 days (no personal adjustment)."""
    gain = three_day_gain(_mornings(ctx, GAIN_DAYS + 1.5))
    return gain if gain is not None and gain.kg > GAIN_KG else None


def _robust_sd(xs: Sequence[float]) -> float:
    med = statistics.median(xs)
    return 1.4826 * statistics.median(abs(x - med) for x in xs)


def macd_series(days: Sequence[DayValue]) -> list[float]:
    """Fast minus slow exponential average of morning weights; a missed day decays both by the gap."""
    out: list[float] = []
    fast = slow = days[0].value
    prev = days[0].day
    for d in days:
        gap = max(1, (d.day - prev).days)
        a_fast = 1 - (1 - 2 / (FAST_SPAN + 1)) ** gap
        a_slow = 1 - (1 - 2 / (SLOW_SPAN + 1)) ** gap
        fast += a_fast * (d.value - fast)
        slow += a_slow * (d.value - slow)
        prev = d.day
        out.append(fast - slow)
    return out


def noise_sd(days: Sequence[DayValue]) -> float | None:
    """Robust SD of the patient's 3-day weight change outside the last week (None with too little data)."""
    quiet = days[:-7]
    changes = [b.value - a.value for a, b in zip(quiet, quiet[3:], strict=False)]
    return _robust_sd(changes) if len(changes) >= 7 else None


def _text_gain(g: Gain) -> dict[str, str]:
    return {"en": f"Weight up {fmt(g.kg)} kg in {(g.end.day - g.start.day).days} days "
                  f"({fmt(g.start.value)} → {fmt(g.end.value)} kg); rule: more than 2 kg in 3 days.",
            "da": f"Vægten er steget {fmt(g.kg)} kg på {(g.end.day - g.start.day).days} dage "
                  f"({fmt(g.start.value)} → {fmt(g.end.value)} kg); regel: mere end 2 kg på 3 dage."}


def _text_trend(days: Sequence[DayValue], macd: float, limit: float) -> dict[str, str]:
    first = days[-8] if len(days) >= 8 else days[0]
    delta = days[-1].value - first.value
    n = (days[-1].day - first.day).days
    return {"en": f"Steady weight gain: {fmt(delta)} kg over {n} days ({fmt(first.value)} → "
                  f"{fmt(days[-1].value)} kg), trend {fmt(macd)} kg above this patient's usual (limit {fmt(limit)}).",
            "da": f"Jævn vægtstigning: {fmt(delta)} kg over {n} dage ({fmt(first.value)} → "
                  f"{fmt(days[-1].value)} kg), trend {fmt(macd)} kg over patientens vanlige (grænse {fmt(limit)})."}


def evaluate(ctx: Context) -> list[Finding]:
    days = _mornings(ctx, 60)
    if len(days) < 2 or (ctx.at - days[-1].reading.measured_at) > timedelta(days=1):
        return []  # verdicts are about the latest weighing only
    latest = days[-1].reading
    shown = values([d.reading for d in days[-8:]], ctx.tz)
    sd = noise_sd(days)
    gain = three_day_gain(days)
    if gain is not None and gain.kg > GAIN_KG and (sd is None or gain.kg > NOISE_GUARD_K * sd):
        return [Finding(RULE, CODE, "red", latest, {
            "rule": RULE, "code": CODE, "severity": "red", "detector": "gain_3d", "value": latest.value,
            "unit": latest.unit, "observed_at": latest.measured_at.isoformat(), "gain_kg": round(gain.kg, 2),
            "threshold": {"gain_kg": GAIN_KG, "days": GAIN_DAYS}, "values": shown, "text": _text_gain(gain)})]
    if len(days) < MIN_DAYS:
        return []
    series = macd_series(days)
    spread = _robust_sd(series[:-7]) if len(series) > 14 else 0.0
    limit = max(MACD_MIN_KG, MACD_NOISE_K * spread)
    macd = series[-1]
    if macd >= limit and days[-1].value > days[-2].value - 0.5 and series[-1] >= series[-2] - 0.1:
        return [Finding(RULE, CODE, "yellow", latest, {
            "rule": RULE, "code": CODE, "severity": "yellow", "detector": "macd", "value": latest.value,
            "unit": latest.unit, "observed_at": latest.measured_at.isoformat(), "macd_kg": round(macd, 2),
            "baseline": {"limit_kg": round(limit, 2), "fast_days": FAST_SPAN, "slow_days": SLOW_SPAN},
            "trend": [round(x, 2) for x in series[-7:]], "values": shown, "text": _text_trend(days, macd, limit)})]
    return []


SPEC = RuleSpec(RULE, (CODE,), timedelta(days=60), ("heart_failure",), evaluate, rearm=timedelta(days=3))
