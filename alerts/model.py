"""Plain data the rules see and return: readings, the live alert, and what to do about it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

# 'review' is for the GP's list (slow trends, targets missed); red and yellow are for the nurse's queue.
Severity = Literal["red", "yellow", "review"]
SEVERITY_RANK: dict[str, int] = {"review": 0, "yellow": 1, "red": 2}

# A reading that reached the server this long after it was measured counts as late (a gateway that was
# offline and uploads its backlog at once).
LATE_AFTER = timedelta(hours=6)


@dataclass(frozen=True)
class Reading:
    id: uuid.UUID
    code: str  # internal key, e.g. "bp_systolic"
    value: float
    unit: str
    measured_at: datetime
    received_at: datetime | None = None

    @property
    def late(self) -> bool:
        return self.received_at is not None and self.received_at - self.measured_at > LATE_AFTER


@dataclass(frozen=True)
class LiveAlert:
    id: int
    rule: str
    code: str
    severity: Severity
    status: Literal["open", "acknowledged"]
    observed_at: datetime
    evidence: tuple[uuid.UUID, ...] = ()
    # (rule, code, reading id) of findings of related rules folded into this alert (alerts.consolidate)
    folded: frozenset[tuple[str, str, str]] = frozenset()


@dataclass(frozen=True)
class Finding:
    """A rule's verdict that something is abnormal, with everything the explanation needs.

    ``reading`` is the newest reading that supports the verdict; its id keys the alert's evidence, so
    evaluating the same data twice never counts twice."""

    rule: str
    code: str
    severity: Severity
    reading: Reading
    explanation: dict[str, object] = field(hash=False)
    late: bool = False


@dataclass(frozen=True)
class Open:
    finding: Finding


@dataclass(frozen=True)
class Update:
    alert_id: int
    finding: Finding
    severity: Severity


@dataclass(frozen=True)
class Fold:
    """A related rule's finding on evidence this alert already holds: added to its explanation, not a new alert."""

    alert_id: int
    finding: Finding


@dataclass(frozen=True)
class AutoResolve:
    alert_id: int
    reading: Reading


Action = Open | Update | Fold | AutoResolve


def worse(a: Severity, b: Severity) -> Severity:
    return a if SEVERITY_RANK[a] >= SEVERITY_RANK[b] else b
