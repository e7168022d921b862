"""Departure from the patient's own normal, learned from the patient's first weeks (alerts.baseline).

Source: the method, not a guideline: a robust (Minimum Covariance Determinant) multivariate baseline per
patient, as in statistical process control for home telemonitoring (Cooper et al., Int J COPD 2020;15:2005,
used per-patient control limits on FEV1/FVC). Fires only with ≥ 14 training days and when today and the
previous measured day are both outside the patient's usual, and names the values that were unusual.
Yellow: it says "look at this patient", not what is wrong.
"""

from __future__ import annotations

from alerts.baseline import CODES, MIN_DAYS, RECENT_DAYS, fit, train_window, vectors_of
from alerts.explain import fmt
from alerts.history import Context, values
from alerts.model import Finding, Reading
from alerts.rules import RuleSpec

RULE = "personal_baseline"
NAMES = {"weight_change": ("weight change", "vægtændring", "kg"), "pulse_rate": ("pulse", "puls", "/min"),
         "spo2": ("SpO2", "iltmætning", "%"), "bp_systolic": ("systolic", "systolisk", "mmHg"),
         "bp_diastolic": ("diastolic", "diastolisk", "mmHg"), "glucose": ("glucose", "blodsukker", "mmol/L"),
         "fev1": ("FEV1", "FEV1", "L"), "pef": ("peak flow", "peak flow", "L/min"),
         "body_temp": ("temperature", "temperatur", "°C")}


def _can_fit(ctx: Context, span: int) -> bool:
    """Whether today has data and there are 14 days old enough to train on: what ``fit`` needs at the least,
    known from the days alone (most evaluations of a new patient stop here)."""
    today = ctx.at.astimezone(ctx.tz).date()
    days = {d for code in CODES for d in ctx.days(code, span)}
    return today in days and sum((today - d).days > RECENT_DAYS for d in days) >= MIN_DAYS


def evaluate(ctx: Context) -> list[Finding]:
    span = train_window().days
    if not _can_fit(ctx, span):
        return []
    # Daily medians, not readings: a cached history (alerts.cache) keeps them per day between evaluations.
    medians = {code: ms for code in CODES if (ms := ctx.daily_medians(code, span))}
    if not medians:
        return []
    vectors = vectors_of(medians)
    today = ctx.at.astimezone(ctx.tz).date()
    if today not in vectors:
        return []
    model = fit(vectors, today)
    if model is None:
        return []
    previous = [d for d in vectors if d < today and (today - d).days <= 3]
    if not model.is_unusual(vectors[today]) or not previous or not model.is_unusual(vectors[max(previous)]):
        return []
    readings: list[Reading] = [r for code in CODES for r in ctx.window(code, span)]  # only when it fires
    odd = model.unusual(vectors[today])
    newest = max(readings, key=lambda r: r.measured_at)
    parts_en = [f"{NAMES[f][0]} {fmt(v)} {NAMES[f][2]} (usual {fmt(c)})" for f, v, c, _ in odd]
    parts_da = [f"{NAMES[f][1]} {fmt(v)} {NAMES[f][2]} (vanligvis {fmt(c)})" for f, v, c, _ in odd]
    todays = [r for r in readings if r.measured_at.astimezone(ctx.tz).date() == today]
    return [Finding(RULE, "", "yellow", newest, {
        "rule": RULE, "code": "", "severity": "yellow", "value": newest.value, "unit": newest.unit,
        "observed_at": newest.measured_at.isoformat(),
        "unusual": [{"feature": f, "value": round(v, 2), "usual": round(c, 2), "z": round(z, 1)} for f, v, c, z in odd],
        "baseline": {"trained_days": model.trained_days, "trained_to": model.trained_to.isoformat(),
                     "features": list(model.features)},
        "values": values(sorted(todays, key=lambda r: r.measured_at), ctx.tz),
        "text": {"en": "Unusual for this patient two days running: " + "; ".join(parts_en) + ".",
                 "da": "Usædvanligt for patienten to dage i træk: " + "; ".join(parts_da) + "."}})]


SPEC = RuleSpec(RULE, CODES, train_window(), (), evaluate)
