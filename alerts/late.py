"""Late data: a gateway that was offline uploads its backlog at once; that raises one alert marked late."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from alerts.explain import late_text
from alerts.model import SEVERITY_RANK, Finding


def worst(findings: Iterable[Finding]) -> Finding | None:
    """The most severe finding, the newest among equals: what one alert for a backlog should say."""
    return max(findings, key=lambda f: (SEVERITY_RANK[f.severity], f.reading.measured_at), default=None)


def mark_late(f: Finding) -> Finding:
    """The finding with the explanation saying its evidence arrived late, and when."""
    r = f.reading
    if not r.late or r.received_at is None:
        return f
    explanation = dict(f.explanation)
    suffix = late_text(r.measured_at, r.received_at)
    text = explanation.get("text")
    if isinstance(text, dict):
        explanation["text"] = {k: str(v) + suffix.get(k, "") for k, v in text.items()}
    explanation["late"] = {"measured_at": r.measured_at.isoformat(), "received_at": r.received_at.isoformat()}
    return dataclasses.replace(f, explanation=explanation, late=True)
