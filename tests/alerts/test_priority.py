"""Priority from the patient's risk group, as a table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from alerts.priority import RiskFactors, factors, of

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)

CASES = [
    (RiskFactors(), 0, []),
    (RiskFactors(lives_alone=True), 1, ["lives_alone"]),
    (RiskFactors(conditions=1), 0, []),
    (RiskFactors(conditions=2), 1, ["multimorbidity"]),
    (RiskFactors(discharged_at=NOW - timedelta(days=3)), 1, ["recent_discharge"]),
    (RiskFactors(discharged_at=NOW - timedelta(days=31)), 0, []),
    (RiskFactors(discharged_at=NOW + timedelta(days=1)), 0, []),  # a planned discharge is not a recent one
    (RiskFactors(birth_year=1946), 1, ["aged_80_plus"]),
    (RiskFactors(birth_year=1947), 0, []),
    (RiskFactors(True, 3, NOW - timedelta(days=10), 1940), 4,
     ["lives_alone", "multimorbidity", "recent_discharge", "aged_80_plus"]),
]


@pytest.mark.parametrize(("risk", "priority", "names"), CASES)
def test_priority_table(risk: RiskFactors, priority: int, names: list[str]) -> None:
    assert of(risk, NOW) == priority
    assert factors(risk, NOW) == names
