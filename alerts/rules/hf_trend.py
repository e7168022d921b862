"""Heart-failure decompensation as a personal trend: morning weight, with resting pulse, above the patient's usual.

Sources: Chaudhry et al., Circulation 2007;116:1549 — weight rises gradually from about 30 days before a
heart-failure admission and diverges most in the final week, often by less than 2 kg. Zhang et al., Eur J Heart
Fail 2009;11:420 and Gyllensten et al., JMIR Med Inform 2016;4:e3 — trend algorithms on daily weight (moving
averages, CUSUM) beat the 2 kg rule of thumb. Zhang: a 14-day mean gain of 0.9 kg before worsening. Ledwidge et
al., Eur J Heart Fail 2013 — individual weight swings are large, so limits must be personal. Statistical process
control per patient on weight and heart rate (personalised limits from the patient's own stable period) found
resting heart rate as informative as weight (Eur Heart J Digit Health 2023;4:455).

The detector compares the mean of the last few mornings with the patient's usual (median of the mornings one to
four weeks back), in units of the patient's own day-to-day variation: a z-score, as in a Shewhart chart on a
moving average. Resting pulse is scored the same way and adds to the weight score with a smaller weight. It fires
only when the score is over its limit on the latest and the previous measured morning, the mean gain is at least
MIN_GAIN_KG, and there are enough personal mornings to know the usual. A second arm catches decompensation without
weight gain — many patients are admitted with little or no weight change (Desai, Am J Cardiol 2015; Chaudhry 2007):
resting pulse alone on its own z-score (PULSE_ALONE_LIMIT, a rise of at least MIN_PULSE_RISE, weight not falling),
on the same two mornings running. Heart rate is one of the sensors of the multisensor index that detects heart-
failure events weeks ahead (Boehmer et al., MultiSENSE, JACC Heart Fail 2017;5:216) and as informative as weight in
the personalised control chart above; the size of the rise before an event is not published for home cuffs, so
this arm's yield rests on an assumed pulse course. Yellow: a trend to look at, not a rule breach. It is the trend
detector of the heart-failure weight rule (alerts.rules.hf_weight): the trend and the rule
of thumb share one alert, whatever order the readings arrive in.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from alerts.explain import fmt, when_text
from alerts.history import Context, DayValue, daily, values
from alerts.model import Finding

RULE = "hf_weight"  # findings belong to the heart-failure weight rule
DETECTOR = "personal_trend"
WEIGHT, PULSE = "body_weight", "pulse_rate"
RECENT_DAYS = 3  # calendar days the recent mean covers (today and the two before)
BASE_FROM, BASE_TO = 8, 28  # the usual: mornings 8–28 days back (skips the final week a gain builds in)
MIN_BASE_DAYS = 12  # mornings in the baseline span before the detector may fire
MIN_RECENT = 2  # mornings in the recent span
SD_FLOOR = {WEIGHT: 0.2, PULSE: 2.0}  # a scale shows 0.1 kg, a cuff 1 /min: no patient is quieter than this
PULSE_WEIGHT = 0.4  # pulse adds to the weight score with this weight (weight carries most of the signal)
SCORE_LIMIT = 1.5  # combined z-score limit, on the latest and the previous measured morning
MIN_GAIN_KG = 0.6  # a mean gain smaller than this is not acted on however quiet the patient's weight is
OUTLIER_KG = 5.0  # fluid does not move weight this much in a day or two: someone else was on the scale
# Decompensation without weight gain (Desai 2015; a fifth of episodes in the cohort): resting pulse alone, on its
# own z-score, on the same two mornings running. Limit chosen on the development seeds as the operating point that
# spends part of the false-alert headroom (ours about 0.7x the rule of thumb's false alerts instead of 0.6x).
PULSE_ALONE_LIMIT = 2.5
MIN_PULSE_RISE = 4.0  # /min in the 3-morning mean: a smaller rise is not acted on alone
PULSE_ALONE_MIN_GAIN_KG = -0.5  # weight must not be falling (diuresis, poor intake) for pulse alone to count


@dataclass(frozen=True)
class Level:
    code: str
    usual: float  # median of the baseline mornings
    sd: float  # day-to-day SD of the baseline mornings (robust, from day-to-day changes)
    recent: float  # mean of the recent mornings
    n_base: int
    n_recent: int

    @property
    def change(self) -> float:
        return self.recent - self.usual

    @property
    def z(self) -> float:
        return self.change / (self.sd * math.sqrt(1 / self.n_recent + 1 / self.n_base))


@dataclass(frozen=True)
class Score:
    day: date
    weight: Level
    pulse: Level | None

    @property
    def value(self) -> float:
        if self.pulse is None:
            return self.weight.z
        return (self.weight.z + PULSE_WEIGHT * self.pulse.z) / math.sqrt(1 + PULSE_WEIGHT**2)

    @property
    def pulse_alone(self) -> bool:
        p = self.pulse
        return (p is not None and p.z >= PULSE_ALONE_LIMIT and p.change >= MIN_PULSE_RISE
                and self.weight.change >= PULSE_ALONE_MIN_GAIN_KG)

    @property
    def weight_alarming(self) -> bool:
        return self.value >= SCORE_LIMIT and self.weight.change >= MIN_GAIN_KG

    @property
    def alarming(self) -> bool:
        return self.weight_alarming or self.pulse_alone


def _robust_day_sd(days: Sequence[DayValue]) -> float | None:
    """Day-to-day SD from changes between consecutive mornings (robust to a single odd morning)."""
    diffs = [b.value - a.value for a, b in itertools.pairwise(days) if (b.day - a.day).days == 1]
    if len(diffs) < 5:
        return None
    med = statistics.median(diffs)
    return 1.4826 * statistics.median(abs(x - med) for x in diffs) / math.sqrt(2)


def _base(days: Sequence[DayValue], today: date) -> list[DayValue]:
    return [d for d in days if BASE_FROM <= (today - d.day).days <= BASE_TO]


def usual(days: Sequence[DayValue], today: date) -> float | None:
    """The patient's usual as of ``today``: the median of the baseline mornings (None with too few)."""
    base = _base(days, today)
    return statistics.median(d.value for d in base) if len(base) >= MIN_BASE_DAYS else None


def level(days: Sequence[DayValue], code: str, today: date) -> Level | None:
    """The recent mean against the usual of the baseline span, as of ``today``; None without enough data."""
    base = _base(days, today)
    sd = _robust_day_sd(base)
    if len(base) < MIN_BASE_DAYS or sd is None:
        return None
    recent = [d.value for d in days if 0 <= (today - d.day).days < RECENT_DAYS]
    if len(recent) < MIN_RECENT:
        return None
    if code == WEIGHT and len(recent) >= 3:
        mid = statistics.median(recent)
        recent = [v for v in recent if abs(v - mid) < OUTLIER_KG]  # someone else's weight is not this patient's
    elif code == WEIGHT and max(recent) - min(recent) >= OUTLIER_KG:
        return None  # two mornings that far apart: cannot tell which one is the patient
    return Level(code, statistics.median(d.value for d in base), max(SD_FLOOR[code], sd), statistics.fmean(recent),
                 len(base), len(recent))


def score(weights: Sequence[DayValue], pulses: Sequence[DayValue], today: date) -> Score | None:
    w = level(weights, WEIGHT, today)
    if w is None:
        return None
    return Score(today, w, level(pulses, PULSE, today))


def _text_pulse(s: Score) -> dict[str, str]:
    p, w = s.pulse, s.weight
    assert p is not None
    return {"en": f"Resting pulse {fmt(round(p.recent))} /min on average over the last mornings against this "
                  f"patient's usual {fmt(round(p.usual))} /min, two mornings running, without weight loss "
                  f"(weight {fmt(w.recent)} kg, usual {fmt(w.usual)} kg). Heart failure can worsen without "
                  f"weight gain.",
            "da": f"Hvilepulsen er i gennemsnit {fmt(round(p.recent))} /min de seneste morgener mod patientens "
                  f"vanlige {fmt(round(p.usual))} /min, to morgener i træk, uden vægttab "
                  f"(vægt {fmt(w.recent)} kg, vanligvis {fmt(w.usual)} kg). Hjertesvigt kan forværres uden "
                  f"vægtøgning."}


def _text(s: Score, recent: Sequence[DayValue]) -> dict[str, str]:
    if not s.weight_alarming:
        return _text_pulse(s)
    w, first, last = s.weight, recent[0], recent[-1]
    t0, t1 = when_text(first.reading.measured_at), when_text(last.reading.measured_at)
    en = (f"Weight {fmt(w.change)} kg above this patient's usual for two mornings running: "
          f"{fmt(w.recent)} kg on average ({fmt(first.value)} kg {t0['en']} … {fmt(last.value)} kg {t1['en']}) "
          f"against usual {fmt(w.usual)} kg ({BASE_FROM}–{BASE_TO} days back, day-to-day variation "
          f"{fmt(w.sd)} kg).")
    da = (f"Vægten er {fmt(w.change)} kg over patientens vanlige to morgener i træk: "
          f"gennemsnit {fmt(w.recent)} kg ({fmt(first.value)} kg {t0['da']} … {fmt(last.value)} kg {t1['da']}) "
          f"mod vanligvis {fmt(w.usual)} kg ({BASE_FROM}–{BASE_TO} dage tilbage, variation fra dag til dag "
          f"{fmt(w.sd)} kg).")
    p = s.pulse
    if p is not None and p.change >= 1:
        en += f" Resting pulse {fmt(round(p.recent))} /min against usual {fmt(round(p.usual))} /min."
        da += f" Hvilepuls {fmt(round(p.recent))} /min mod vanligvis {fmt(round(p.usual))} /min."
    return {"en": en, "da": da}


WINDOW = timedelta(days=BASE_TO + 2)  # the history it reads


def evaluate(ctx: Context) -> list[Finding]:
    weights = daily(ctx.window(WEIGHT, BASE_TO + 1.5), ctx.tz, "first")
    if len(weights) < 2 or (ctx.at - weights[-1].reading.measured_at) > timedelta(days=1):
        return []  # verdicts are about the latest weighing only
    pulses = daily(ctx.window(PULSE, BASE_TO + 1.5), ctx.tz, "first")
    today = weights[-1].day
    now = score(weights, pulses, today)
    if now is None or not now.alarming:
        return []
    # sustained: the previous morning (within two days) was over the limit too — one heavy morning is not a trend
    before = score(weights, pulses, weights[-2].day) if (today - weights[-2].day).days <= 2 else None
    if before is None or not before.alarming:
        return []
    latest = weights[-1].reading
    recent = [d for d in weights if (today - d.day).days < RECENT_DAYS]
    shown = values([d.reading for d in weights[-8:]], ctx.tz)
    p = now.pulse
    return [Finding(RULE, WEIGHT, "yellow", latest, {
        "rule": RULE, "code": WEIGHT, "severity": "yellow", "detector": DETECTOR, "value": latest.value,
        "unit": latest.unit, "observed_at": latest.measured_at.isoformat(),
        "score": round(now.value, 2), "limit": SCORE_LIMIT,
        "trigger": "weight" if now.weight_alarming else "pulse",
        **({} if now.weight_alarming else {"pulse_limit": PULSE_ALONE_LIMIT}),
        "baseline": {"weight_kg": round(now.weight.usual, 2), "weight_day_sd_kg": round(now.weight.sd, 2),
                     "days_back": [BASE_FROM, BASE_TO], "mornings": now.weight.n_base,
                     **({"pulse": round(p.usual, 1), "pulse_day_sd": round(p.sd, 1)} if p else {})},
        "trend": {"weight_gain_kg": round(now.weight.change, 2), "weight_z": round(now.weight.z, 2),
                  **({"pulse_change": round(p.change, 1), "pulse_z": round(p.z, 2)} if p else {})},
        "values": shown, "text": _text(now, recent)})]
