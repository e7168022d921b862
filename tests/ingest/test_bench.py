"""Smoke test of `nearcare bench ingest` with a tiny load: the report has its rows and sane numbers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest.bench import BenchConfig, run
from nearcare.cli_bench import bench_app
from tests.support.platform import EMBEDDED_BROKER


def test_a_tiny_bench_reports_three_paths_side_by_side(pg_server_url: str, mqtt_url: str) -> None:
    if EMBEDDED_BROKER and shutil.which("mosquitto") is None and not Path("/usr/sbin/mosquitto").exists():
        pytest.skip("the ingest benchmark measures Mosquitto (shared subscriptions); none is installed here")
    # On the embedded fallback the benchmark starts its own Mosquitto, as `--private-broker` does.
    broker = None if EMBEDDED_BROKER else mqtt_url
    cfg = BenchConfig(pg_server_url, broker, readings=400, gateways=4, per_message=5, naive_readings=100,
                      paced_rate=200, paced_seconds=1, batch_size=100, batch_wait_ms=20)
    report = run(cfg)
    assert [m.name.split()[0] for m in report.rows] == ["ingest", "raw", "naive:"]
    assert [m.readings for m in report.rows] == [400, 400, 100]
    assert report.paced.readings == 200
    for m in report.rows:
        assert m.rows_per_s > 0 and m.seconds > 0
    for m in (report.end_to_end, report.naive, report.paced):
        assert m.p50_ms is not None and m.p99_ms is not None
        assert 0 < m.p50_ms <= m.p99_ms < 30_000
    assert report.of_copy > 0 and report.of_naive > 0
    table = report.table()
    assert "raw COPY" in table and "naive" in table and "end to end / raw COPY" in table
    assert json.loads(report.to_json())["rows"][0]["readings"] == 400
    assert report.machine["nproc"] and "PostgreSQL" in report.machine["postgresql"]


def test_the_bench_command_has_help() -> None:
    result = CliRunner().invoke(bench_app, ["ingest", "--help"])
    assert result.exit_code == 0
    assert "--readings" in result.stdout and "--private-broker" in result.stdout
