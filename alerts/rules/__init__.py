"""Alert rules: each a pure function over plain data with a table of cases in its tests.

A trend rule module exposes ``SPEC``: the measurements and the span of history it needs, the programmes it
belongs to, and ``evaluate(ctx) -> list[Finding]`` giving its verdicts as of ``ctx.at``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from alerts.history import Context
from alerts.model import Finding


@dataclass(frozen=True)
class RuleSpec:
    name: str
    codes: tuple[str, ...]  # the history it reads
    window: timedelta  # how far back it reads
    programmes: tuple[str, ...]  # applies when the patient is in any of these; empty = everyone
    evaluate: Callable[[Context], list[Finding]]
    # After a clinician resolves its alert, the rule stays quiet this long on the same finding unless it
    # gets worse: a trend that is still true is not news.
    rearm: timedelta = timedelta(days=3)
    auto_resolve: bool = True  # a yellow/review alert closes itself once the rule no longer finds it

    def applies_to(self, conditions: tuple[str, ...]) -> bool:
        return not self.programmes or any(c in self.programmes for c in conditions)
