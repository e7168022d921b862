"""COPD exacerbation: oxygen saturation or lung function below the patient's own baseline, worse with a rising pulse.

Sources: GOLD 2024 report (Global Initiative for Chronic Obstructive Lung Disease): an exacerbation is a
worsening of dyspnoea and/or cough and sputum over < 14 days, often with tachycardia; target SpO2 88–92 %
(absolute limits are in alerts.thresholds). Home-monitoring studies find the physiological change small and
personal: at onset mean pulse rose from 87 to 94 /min and SpO2 fell from 93.6 to 92.4 % (Burton et al.,
J Telemed Telecare 2015;21:29), and FEV1/FVC below the patient's own recent average best predicted events
(Cooper et al., Int J COPD 2020;15:2005). The cut-offs used here — SpO2 4 points below the personal baseline,
FEV1 or peak flow 20 % below personal best, pulse 10 /min above baseline — are programme settings in the
spirit of self-management action plans, not numbers taken from GOLD.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from datetime import timedelta

from alerts.explain import fmt
from alerts.history import Context, daily, values
from alerts.model import Finding, Reading, Severity
from alerts.rules import RuleSpec

RULE = "copd_exacerbation"
SPO2_DROP = 4.0
LUNG_DROP = 0.20
PULSE_RISE = 10.0
MIN_BASELINE_DAYS = 7


def _baseline(ctx: Context, code: str) -> list[float]:
    """Daily medians from 30 days back up to 3 days ago: the patient's recent usual."""
    return [d.value for d in daily(ctx.window(code, 27, end_offset_days=3), ctx.tz, "median")]


def _recent(ctx: Context, code: str) -> Sequence[Reading]:
    return ctx.window(code, 1)


def _lung(ctx: Context, code: str) -> tuple[float, float, Reading] | None:
    base = [d.value for d in daily(ctx.window(code, 87, end_offset_days=3), ctx.tz, "median")]
    recent = _recent(ctx, code)
    if len(base) < MIN_BASELINE_DAYS or not recent:
        return None
    best = sorted(base)[int(0.9 * (len(base) - 1))]  # 90th centile: one lucky blow is not a personal best
    now = statistics.median(r.value for r in recent)
    return best, now, recent[-1]


def evaluate(ctx: Context) -> list[Finding]:
    signals: list[dict[str, object]] = []
    en: list[str] = []
    da: list[str] = []
    newest: list[Reading] = []
    base = _baseline(ctx, "spo2")
    recent = _recent(ctx, "spo2")
    if len(base) >= MIN_BASELINE_DAYS and recent:
        usual = statistics.median(base)
        now = statistics.median(r.value for r in recent)
        if usual - now >= SPO2_DROP:
            signals.append({"code": "spo2", "baseline": usual, "now": now})
            en.append(f"SpO2 {fmt(now)} % is {fmt(usual - now)} points below usual {fmt(usual)} %")
            da.append(f"iltmætning {fmt(now)} % er {fmt(usual - now)} point under vanlig {fmt(usual)} %")
            newest.append(recent[-1])
    for code, label in (("fev1", "FEV1"), ("pef", "peak flow")):
        lung = _lung(ctx, code)
        if lung is not None and lung[1] <= (1 - LUNG_DROP) * lung[0]:
            best, now, r = lung
            pct = round(100 * (1 - now / best))
            signals.append({"code": code, "personal_best": best, "now": now, "drop_pct": pct})
            en.append(f"{label} {fmt(now)} is {pct} % below personal best {fmt(best)}")
            da.append(f"{label} {fmt(now)} er {pct} % under personlig bedste {fmt(best)}")
            newest.append(r)
    if not signals:
        return []
    pulse_base = _baseline(ctx, "pulse_rate")
    pulse_now = _recent(ctx, "pulse_rate")
    pulse_up = False
    if len(pulse_base) >= MIN_BASELINE_DAYS and pulse_now:
        usual = statistics.median(pulse_base)
        now = statistics.median(r.value for r in pulse_now)
        if now - usual >= PULSE_RISE:
            pulse_up = True
            signals.append({"code": "pulse_rate", "baseline": usual, "now": now})
            en.append(f"pulse {fmt(now)} /min, up from {fmt(usual)}")
            da.append(f"puls {fmt(now)} /min, op fra {fmt(usual)}")
    severity: Severity = "red" if pulse_up or len(signals) >= 2 else "yellow"
    trigger = max(newest, key=lambda r: r.measured_at)
    shown = values(sorted(newest, key=lambda r: r.measured_at), ctx.tz)
    return [Finding(RULE, "", severity, trigger, {
        "rule": RULE, "code": "", "severity": severity, "value": trigger.value, "unit": trigger.unit,
        "observed_at": trigger.measured_at.isoformat(), "signals": signals, "values": shown,
        "text": {"en": "Possible COPD exacerbation: " + "; ".join(en) + ".",
                 "da": "Mulig KOL-forværring: " + "; ".join(da) + "."}})]


SPEC = RuleSpec(RULE, ("spo2", "fev1", "pef", "pulse_rate"), timedelta(days=90), ("copd",), evaluate,
                rearm=timedelta(days=3))
