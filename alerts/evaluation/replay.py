"""Replay a simulated patient day by day through a rule set, the way the engine and a nurse would handle it.

Each day the readings that arrived are judged (a late backlog once per day it covers, collapsed to the worst
finding, as the engine does); a new finding opens an alert unless one is live for the same rule and measurement,
or a clinician resolved one within the rule's re-arm period and it is no worse. A nurse resolves every alert the
day after it opened; yellow and review alerts also close themselves when the rule stops finding them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from alerts import late
from alerts.consolidate import plan
from alerts.evaluation.cohort import TZ, SimPatient
from alerts.history import Context, History
from alerts.model import SEVERITY_RANK, Action, Finding, Fold, LiveAlert, Open, Reading, worse
from alerts.rules import hf_weight, threshold
from alerts.rules.registry import TREND_RULES
from alerts.thresholds import bands_for

Evaluate = Callable[[Context, Sequence[Reading]], list[Finding]]


@dataclass(frozen=True)
class ReplayRule:
    name: str
    codes: tuple[str, ...]
    evaluate: Evaluate
    rearm_days: int = 0
    auto_resolve: bool = True


@dataclass(frozen=True)
class Opened:
    day: int
    rule: str
    code: str
    severity: str
    late: bool
    also: tuple[tuple[str, str], ...] = ()  # (rule, code) of related findings folded in when it opened


def _thresholds(ctx: Context, new: Sequence[Reading]) -> list[Finding]:
    out = []
    for code in {r.code for r in new}:
        bands = bands_for(ctx.conditions, code)
        if bands is not None:
            f = late.worst(f for r in new if r.code == code and (f := threshold.find(r, bands)) is not None
                           and threshold.confirmed(f, _previous(ctx, r), bands))
            if f is not None:
                out.append(f)
    return out


def _previous(ctx: Context, r: Reading) -> Reading | None:
    before = [x for x in ctx.history.get(r.code) if x.measured_at < r.measured_at]
    return before[-1] if before else None


def _spec(spec_index: int) -> Evaluate:
    spec = TREND_RULES[spec_index]
    return lambda ctx, new: spec.evaluate(ctx)


OURS: tuple[ReplayRule, ...] = (
    ReplayRule("threshold", ("body_weight", "bp_systolic", "bp_diastolic", "pulse_rate", "spo2", "glucose",
                             "body_temp", "fev1", "pef"), _thresholds, threshold.REARM.days),
    *(ReplayRule(s.name, s.codes, _spec(i), s.rearm.days, s.auto_resolve) for i, s in enumerate(TREND_RULES)),
)


def _plain(rule: str, code: str, test: Callable[[float], bool]) -> Evaluate:
    def evaluate(ctx: Context, new: Sequence[Reading]) -> list[Finding]:
        hits = [r for r in new if r.code == code and test(r.value)]
        return [Finding(rule, code, "red", hits[-1], {})] if hits else []
    return evaluate


def _rule_of_thumb(ctx: Context, new: Sequence[Reading]) -> list[Finding]:
    gain = hf_weight.rule_of_thumb(ctx)
    return [Finding("guideline_hf", "body_weight", "red", gain.end.reading, {})] if gain else []


# The comparator keeps the 3-day re-arm it has always been scored with (our weight rule's was 3 days until it
# took the personal trend and a 7-day re-arm): changing it would move the baseline we are measured against.
GUIDELINE_HF_REARM_DAYS = 3

# The plain guideline rules each condition is compared with.
GUIDELINE: dict[str, tuple[ReplayRule, ...]] = {
    "heart_failure": (ReplayRule("guideline_hf", ("body_weight",), _rule_of_thumb, GUIDELINE_HF_REARM_DAYS),),
    "copd": (ReplayRule("guideline_copd", ("spo2",), _plain("guideline_copd", "spo2", lambda v: v < 88)),),
    "diabetes": (ReplayRule("guideline_dm", ("glucose",),
                            _plain("guideline_dm", "glucose", lambda v: v < 3.9 or v > 13.9)),),
    "hypertension": (
        ReplayRule("guideline_htn", ("bp_systolic",), _plain("guideline_htn", "bp_systolic", lambda v: v >= 180)),
        ReplayRule("guideline_htn_dia", ("bp_diastolic",),
                   _plain("guideline_htn_dia", "bp_diastolic", lambda v: v >= 120))),
}


def _judge(rule: ReplayRule, p: SimPatient, hist: History, new: list[Reading]) -> list[Finding]:
    mine = [r for r in new if r.code in rule.codes]
    if not mine:
        return []
    newest = max(r.measured_at for c in rule.codes for r in hist.get(c)[-1:])
    found = rule.evaluate(Context(p.conditions, newest, hist, TZ, str(p.index)), mine)
    backlog: dict[object, datetime] = {}
    for r in mine:
        if r.late:
            d = r.measured_at.astimezone(TZ).date()
            backlog[d] = max(backlog.get(d, r.measured_at), r.measured_at)
    for at in backlog.values():
        if at != newest:
            found += rule.evaluate(Context(p.conditions, at, hist, TZ, str(p.index)),
                                   [r for r in mine if r.measured_at <= at])
    per_code: dict[str, list[Finding]] = {}
    for f in found:
        per_code.setdefault(f.code, []).append(f)
    return [late.mark_late(w) for fs in per_code.values() if (w := late.worst(fs)) is not None]


@dataclass
class _Live:
    alert: LiveAlert
    folded_keys: set[tuple[str, str]]


def _as_live(alert_id: int, f: Finding, folded: Sequence[Finding] = ()) -> _Live:
    return _Live(LiveAlert(alert_id, f.rule, f.code, f.severity, "open", f.reading.measured_at, (f.reading.id,),
                           frozenset((x.rule, x.code, str(x.reading.id)) for x in folded)),
                 {(x.rule, x.code) for x in folded})


def replay(p: SimPatient, rules: Sequence[ReplayRule]) -> list[Opened]:
    """Alerts opened, day by day. Findings on evidence a related live alert holds fold into it
    (alerts.consolidate), with the thresholds' alerts written before the trend rules', as in the engine."""
    arrivals: dict[int, list[Reading]] = {}
    for r in p.readings:
        assert r.received_at is not None
        day = (r.received_at.astimezone(TZ).date() - p.readings[0].measured_at.astimezone(TZ).date()).days
        arrivals.setdefault(day, []).append(r)
    first = p.readings[0].measured_at.astimezone(TZ).date() if p.readings else None
    rearm = {r.name: r.rearm_days for r in rules}
    arrived: list[Reading] = []
    live: dict[tuple[str, str], _Live] = {}
    quiet: dict[tuple[str, str], tuple[int, str]] = {}
    opened: list[Opened] = []
    ids = iter(range(1, 1_000_000))
    for day in range(p.days):
        if day in p.admitted:
            live.clear()  # admitted: open alerts are closed as "admitted", nothing new is raised
            continue
        for key, held in list(live.items()):  # yesterday's alerts: the nurse resolved them this morning
            for k in (key, *held.folded_keys):
                quiet[k] = (day + rearm.get(k[0], 0), held.alert.severity)
            del live[key]
        new = arrivals.get(day, [])
        if not new or first is None:
            continue
        arrived += new
        hist = History.of(arrived)
        stages: tuple[list[Action], list[Action]] = ([], [])
        for rule in rules:
            found = _judge(rule, p, hist, new)
            codes_found = {f.code for f in found}
            for f in found:
                key = (rule.name, f.code)
                if key in live:  # new evidence for its own live alert
                    held = live[key]
                    held.alert = replace(held.alert, evidence=(*held.alert.evidence, f.reading.id),
                                         severity=worse(held.alert.severity, f.severity))
                    continue
                q = quiet.get(key)
                if q is not None and day < q[0] and SEVERITY_RANK[f.severity] <= SEVERITY_RANK[q[1]]:
                    continue
                stages[rule.name != "threshold"].append(Open(f))
            if rule.auto_resolve:
                for key in [k for k in live if k[0] == rule.name and k[1] not in codes_found]:
                    if live[key].alert.severity != "red" and any(r.code in rule.codes for r in new):
                        del live[key]
        for opens in stages:
            by_id = {held.alert.id: held for held in live.values()}
            for action in plan(opens, [held.alert for held in live.values()]):
                if isinstance(action, Fold):
                    held = by_id[action.alert_id]
                    f = action.finding
                    held.alert = replace(held.alert, severity=worse(held.alert.severity, f.severity),
                                         folded=held.alert.folded | {(f.rule, f.code, str(f.reading.id))})
                    held.folded_keys.add((f.rule, f.code))
                elif isinstance(action, Open):
                    f = action.finding
                    also = f.explanation.get("also")
                    folded = [x for x in _findings_of(also, f)] if isinstance(also, list) else []
                    live[(f.rule, f.code)] = _as_live(next(ids), f, folded)
                    opened.append(Opened(day, f.rule, f.code, f.severity, f.late,
                                         tuple((x.rule, x.code) for x in folded)))
    return opened


def _findings_of(also: list[object], head: Finding) -> list[Finding]:
    """The folded findings an Open carries, as (rule, code) stand-ins for the replay's bookkeeping."""
    return [replace(head, rule=str(a.get("rule")), code=str(a.get("code")))
            for a in also if isinstance(a, dict)]
