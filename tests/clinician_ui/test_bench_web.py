"""`nearcare bench web` on a tiny data set: it builds, measures, and updates only its own docs section."""

from __future__ import annotations

from pathlib import Path

import pytest

from nearcare.cli_bench_web import bench_web


def test_bench_web_small(pg_server_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEARCARE_DATABASE_URL", pg_server_url)
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\n## Ingest\n\nIngest figures, kept as they are.\n\n## Web\n\nold figures\n")
    figures = bench_web(patients=40, days=14, requests=5, doc=doc, keep=False)
    assert [f.name.split(" (")[0] for f in figures] == ["triage page", "patient page", "patient page", "GP rounds"]
    assert all(0 < f.p50_ms <= f.p95_ms <= f.max_ms for f in figures)
    text = doc.read_text()
    assert "## Ingest\n\nIngest figures, kept as they are." in text and "old figures" not in text
    assert text.count("## Web") == 1 and "| triage page (nurse, 4 patients, 2 live alerts) | 5 |" in text
