"""Every trend rule the engine runs; adding a rule is one module plus one line here."""

from __future__ import annotations

from alerts.rules import (
    RuleSpec,
    bp_home,
    copd,
    glucose_highs,
    glucose_lows,
    glucose_tir,
    hf_weight,
    news2,
    personal_baseline,
)

TREND_RULES: tuple[RuleSpec, ...] = (
    hf_weight.SPEC, copd.SPEC, glucose_lows.SPEC, glucose_highs.SPEC, glucose_tir.SPEC, bp_home.SPEC,
    news2.SPEC, personal_baseline.SPEC,
)


def applicable(conditions: tuple[str, ...], codes: set[str]) -> list[RuleSpec]:
    """The rules that apply to this patient and read at least one of these measurements."""
    return [s for s in TREND_RULES if s.applies_to(conditions) and codes & set(s.codes)]
