"""What a trend rule's verdict means for the live alert of its rule and measurement: open, update, resolve."""

from __future__ import annotations

from datetime import datetime

from alerts.model import SEVERITY_RANK, Action, AutoResolve, Finding, LiveAlert, Open, Reading, Severity, Update


def decide(finding: Finding | None, live: LiveAlert | None, *, newest: Reading | None = None,
           auto_resolve: bool = True, quiet: Severity | None = None) -> Action | None:
    """``newest`` is the newest reading the rule looked at; ``quiet`` the severity of an alert on the same
    rule and measurement that a clinician resolved within the rule's re-arm period (None if none)."""
    if finding is not None:
        if live is None:
            if quiet is not None and SEVERITY_RANK[finding.severity] <= SEVERITY_RANK[quiet]:
                return None  # just handled by a clinician and no worse since
            return Open(finding)
        if finding.reading.id in live.evidence:
            return None  # already counted: redelivery, replay or a re-evaluation of the same data
        severity = finding.severity if SEVERITY_RANK[finding.severity] > SEVERITY_RANK[live.severity] \
            else live.severity
        return Update(live.id, finding, severity)
    if live is None or not auto_resolve or live.severity == "red" or newest is None:
        return None
    if newest.measured_at > live.observed_at and not newest.late:
        return AutoResolve(live.id, newest)
    return None


def as_of(readings: list[Reading]) -> datetime | None:
    return max((r.measured_at for r in readings), default=None)
