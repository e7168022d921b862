"""Heart-failure fluid retention from daily weights: the 2 kg in 3 days rule of thumb, guarded by personal noise.

Sources: 2021 ESC Guidelines for the diagnosis and treatment of acute and chronic heart failure
(McDonagh et al., Eur Heart J 2021;42:3599) and the HFA self-care recommendations (Jaarsma et al.,
Eur J Heart Fail 2021;23:157): patients weigh daily and report an unexpected gain of more than 2 kg in 3 days.
Ledwidge et al., Eur J Heart Fail 2013: individual weight swings exceed 2 kg in most patients, so a gain counts
only when it is also above the patient's own day-to-day noise and above the patient's usual weight (not just
above one light morning). Red. The slower, smaller gains that precede most admissions (Chaudhry et al.,
Circulation 2007;116:1549) are left to the personal trend detector (alerts.rules.hf_trend, yellow), which runs
as this rule's second detector: one alert per patient for heart-failure weight, red when the rule of thumb holds.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from alerts.explain import fmt
from alerts.history import Context, DayValue, daily, values
from alerts.model import Finding
from alerts.rules import RuleSpec, hf_trend

RULE = "hf_weight"
CODE = "body_weight"
GAIN_KG = 2.0
GAIN_DAYS = 3
NOISE_GUARD_K = 3.0  # the gain must also exceed this many SDs of the patient's 3-day change


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


def evaluate(ctx: Context) -> list[Finding]:
    days = _mornings(ctx, 60)
    if len(days) < 2 or (ctx.at - days[-1].reading.measured_at) > timedelta(days=1):
        return []  # verdicts are about the latest weighing only
    return _rule_of_thumb_red(ctx, days) or hf_trend.evaluate(ctx)


def _rule_of_thumb_red(ctx: Context, days: Sequence[DayValue]) -> list[Finding]:
    gain = three_day_gain(days)
    if gain is None or gain.kg <= GAIN_KG:
        return []
    sd = noise_sd(days)
    if sd is not None and gain.kg <= NOISE_GUARD_K * sd:
        return []
    usual = hf_trend.usual(days, days[-1].day)
    if usual is not None and days[-1].value - usual <= GAIN_KG:
        return []  # above one light morning, not above the patient's usual
    latest = days[-1].reading
    return [Finding(RULE, CODE, "red", latest, {
        "rule": RULE, "code": CODE, "severity": "red", "detector": "gain_3d", "value": latest.value,
        "unit": latest.unit, "observed_at": latest.measured_at.isoformat(), "gain_kg": round(gain.kg, 2),
        "threshold": {"gain_kg": GAIN_KG, "days": GAIN_DAYS},
        "baseline": {"usual_kg": None if usual is None else round(usual, 2),
                     "noise_sd_kg": None if sd is None else round(sd, 2)},
        "values": values([d.reading for d in days[-8:]], ctx.tz), "text": _text_gain(gain)})]


# Resting pulse is read by the trend detector. After a nurse has acted, a weight still above usual is not news for
# a week; a red rule of thumb after a yellow trend still opens (worse).
SPEC = RuleSpec(RULE, (CODE, hf_trend.PULSE), timedelta(days=60), ("heart_failure",), evaluate,
                rearm=timedelta(days=7))
