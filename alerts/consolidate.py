"""One reading, one alert: findings of related rules on the same evidence fold into one live alert.

A night-time glucose of 2.9 is a threshold red and a nocturnal-lows red; an SpO2 of 86 is a threshold red, a COPD
exacerbation and a personal-baseline departure. They are one event for the nurse. Rules are related when they
speak to the same physiology (the groups below); a new finding whose triggering reading is already evidence of a
live alert of a related rule — or of another finding opening in the same batch — is folded into that alert: its
sentence is added to the explanation ("Also: …") and the alert takes the worse severity. The database key stays
one live alert per patient, rule and measurement; a folded finding is remembered in the explanation's ``also``
list by rule, measurement and reading, so redelivery folds nothing twice.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from alerts.model import SEVERITY_RANK, Action, Finding, Fold, LiveAlert, Open, Reading, Update, worse

ANY = "*"
# (rule, code) members per group; ANY matches every measurement of that rule.
GROUPS: dict[str, frozenset[tuple[str, str]]] = {
    "respiratory": frozenset({("threshold", "spo2"), ("copd_exacerbation", ANY), ("personal_baseline", ANY),
                              ("news2", ANY), ("threshold", "pulse_rate"), ("threshold", "body_temp"),
                              ("threshold", "fev1"), ("threshold", "pef")}),
    "glucose": frozenset({("threshold", "glucose"), ("glucose_nocturnal_lows", ANY),
                          ("glucose_sustained_high", ANY), ("personal_baseline", ANY)}),
    "weight": frozenset({("threshold", "body_weight"), ("hf_weight", ANY), ("personal_baseline", ANY)}),
    "circulation": frozenset({("threshold", "bp_systolic"), ("threshold", "bp_diastolic"),
                              ("threshold", "pulse_rate"), ("news2", ANY), ("personal_baseline", ANY)}),
}
# Which finding of a batch heads the alert when several open at once and are equally severe: the one a nurse
# reads fastest (a value against its limit), then the specific pattern, then the generic scores.
_PRIMARY_ORDER = ("threshold", "hf_weight", "copd_exacerbation", "glucose_nocturnal_lows", "glucose_sustained_high",
                  "news2", "personal_baseline")


def groups_of(rule: str, code: str) -> frozenset[str]:
    return frozenset(g for g, members in GROUPS.items() if (rule, code) in members or (rule, ANY) in members)


def related(a: tuple[str, str], b: tuple[str, str]) -> bool:
    return a != b and bool(groups_of(*a) & groups_of(*b))


def also_entry(f: Finding) -> dict[str, object]:
    """What the alert remembers of a folded finding."""
    return {"rule": f.rule, "code": f.code, "severity": f.severity, "reading": str(f.reading.id),
            "at": f.reading.measured_at.isoformat(), "text": f.explanation.get("text")}


_LATE = {"en": " Late data:", "da": " Forsinkede data:"}


def _without_late(text: str, lang: str) -> tuple[str, str]:
    """A sentence and its late-data note apart, so that a composed text says "late" once, at the end."""
    marker = _LATE.get(lang)
    if marker and marker in text:
        head, _, tail = text.partition(marker)
        return head, marker + tail
    return text, ""


def _text_with(text: object, extra: object) -> object:
    if not isinstance(text, dict) or not isinstance(extra, dict):
        return text
    words = {"en": " Also: ", "da": " Desuden: "}
    out = {}
    for k, v in text.items():
        head, late = _without_late(str(v), k)
        more, _ = _without_late(str(extra.get(k, extra.get("en", ""))), k)
        out[k] = f"{head}{words.get(k, ' ')}{more}{late}"
    return out


def merged_explanation(explanation: dict[str, object], f: Finding) -> dict[str, object]:
    """The explanation with one more folded finding; a finding of the same rule and measurement replaces the
    earlier one (the newest sentence stands)."""
    also = [a for a in _also(explanation) if (a.get("rule"), a.get("code")) != (f.rule, f.code)]
    out = dict(explanation)
    base = explanation.get("base_text", explanation.get("text"))
    out["base_text"] = base
    out["also"] = [*also, also_entry(f)]
    out["text"] = _compose(out)
    if SEVERITY_RANK[f.severity] > SEVERITY_RANK[str(explanation.get("severity", "review"))]:
        out["severity"] = f.severity
    return out


def carry_also(old: dict[str, object], new: dict[str, object]) -> dict[str, object]:
    """A new explanation of the alert's own rule that keeps what related rules added to the old one."""
    also = _also(old)
    if not also:
        return new
    out = {**new, "base_text": new.get("text"), "also": also}
    out["text"] = _compose(out)
    return out


def _compose(explanation: dict[str, object]) -> object:
    text = explanation.get("base_text", explanation.get("text"))
    for a in _also(explanation):
        text = _text_with(text, a.get("text"))
    return text


def _also(explanation: dict[str, object]) -> list[dict[str, object]]:
    also = explanation.get("also")
    return [a for a in also if isinstance(a, dict)] if isinstance(also, list) else []


def merge(primary: Finding, others: Sequence[Finding]) -> Finding:
    """One finding that opens one alert for several rules' findings on the same reading."""
    explanation = dict(primary.explanation)
    severity = primary.severity
    for f in others:
        explanation = merged_explanation(explanation, f)
        severity = worse(severity, f.severity)
    return dataclasses.replace(primary, severity=severity, explanation=explanation,
                               late=primary.late or any(f.late for f in others))


# Among a cuff's values, the one clinicians name first heads the alert.
_CODE_ORDER = ("bp_systolic", "bp_diastolic", "pulse_rate")


def code_rank(code: str) -> int:
    return _CODE_ORDER.index(code) if code in _CODE_ORDER else len(_CODE_ORDER)


def _rank(f: Finding) -> tuple[int, int, int]:
    order = _PRIMARY_ORDER.index(f.rule) if f.rule in _PRIMARY_ORDER else len(_PRIMARY_ORDER)
    return -SEVERITY_RANK[f.severity], order, code_rank(f.code)


def _same_reading(a: Reading, b: Reading) -> bool:
    """One measurement: the same observation, or values the same device took at the same instant (a cuff's
    systolic, diastolic and pulse are three observations of one reading)."""
    return a.id == b.id or a.measured_at == b.measured_at


def plan(actions: Sequence[Action], live: Sequence[LiveAlert]) -> list[Action]:
    """Replace the Opens that repeat another alert's evidence with Folds (or merge them into one Open).

    ``actions`` are what each rule would do on its own (Open, Update, AutoResolve); ``live`` every live alert
    of the patient. Updates and resolutions pass through unchanged and come first."""
    out: list[Action] = [a for a in actions if not isinstance(a, Open)]
    # evidence → the live alerts holding it, including what this batch's updates add
    holders: list[tuple[LiveAlert, set[object], set[object]]] = []
    updated = {a.alert_id: a.finding.reading for a in actions if isinstance(a, Update)}
    for alert in live:
        ev: set[object] = set(alert.evidence)
        times: set[object] = {alert.observed_at}
        if alert.id in updated:
            ev.add(updated[alert.id].id)
            times.add(updated[alert.id].measured_at)
        holders.append((alert, ev, times))
    pending: list[Finding] = []
    for f in sorted((a.finding for a in actions if isinstance(a, Open)), key=_rank):
        target = next((alert for alert, ev, times in holders
                       if (f.reading.id in ev or f.reading.measured_at in times)
                       and related((alert.rule, alert.code), (f.rule, f.code))), None)
        if target is not None:
            if (f.rule, f.code, str(f.reading.id)) not in target.folded:
                out.append(Fold(target.id, f))
            continue
        pending.append(f)
    heads: list[tuple[Finding, list[Finding]]] = []
    for f in pending:  # most severe first: it heads its group, the others fold into it
        head = next((h for h in heads if _same_reading(h[0].reading, f.reading)
                     and related((h[0].rule, h[0].code), (f.rule, f.code))), None)
        if head is None:
            heads.append((f, []))
        else:
            head[1].append(f)
    out += [Open(merge(h, others)) if others else Open(h) for h, others in heads]
    return out
