"""Plain data the rules see and return: readings, the live alert, and what to do about it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from alerts.thresholds import Severity

SEVERITY_RANK: dict[str, int] = {"yellow": 1, "red": 2}


@dataclass(frozen=True)
class Reading:
    id: uuid.UUID
    code: str  # internal key, e.g. "bp_systolic"
    value: float
    unit: str
    measured_at: datetime


@dataclass(frozen=True)
class LiveAlert:
    id: int
    rule: str
    code: str
    severity: Severity
    status: Literal["open", "acknowledged"]
    observed_at: datetime
    evidence: tuple[uuid.UUID, ...] = ()


@dataclass(frozen=True)
class Finding:
    """A rule's verdict that a reading is abnormal, with everything the explanation needs."""

    rule: str
    code: str
    severity: Severity
    reading: Reading
    explanation: dict[str, object] = field(hash=False)


@dataclass(frozen=True)
class Open:
    finding: Finding


@dataclass(frozen=True)
class Update:
    alert_id: int
    finding: Finding
    severity: Severity


@dataclass(frozen=True)
class AutoResolve:
    alert_id: int
    reading: Reading


Action = Open | Update | AutoResolve
