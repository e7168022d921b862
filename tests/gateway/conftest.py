from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gateway.bench import Bench


@pytest.fixture
def meter(tmp_path: Path) -> Iterator[Bench]:
    """A simulated Glucose Profile meter whose clock is right, and a gateway with an empty outbox."""
    bench = Bench(tmp_path)
    yield bench
    bench.close()
