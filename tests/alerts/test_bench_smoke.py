"""A tiny cohort through the whole evaluation: generator, replay, scoring, the CLI table. Pure, seconds."""

from __future__ import annotations

from typer.testing import CliRunner

from alerts.evaluation.bench import run_alert_bench
from alerts.evaluation.cohort import generate
from nearcare.cli_bench_alerts import bench_alerts_app


def test_generator_is_a_function_of_seed_and_index() -> None:
    a, b, c = generate(3, 11, 60), generate(3, 11, 60), generate(3, 12, 60)
    def key(p: object) -> list[tuple[object, ...]]:
        return [(r.code, r.value, r.measured_at) for r in p.readings]  # type: ignore[attr-defined]

    assert key(a) == key(b)
    assert [r.value for r in a.readings] != [r.value for r in c.readings]
    assert all(r.received_at is not None and r.received_at >= r.measured_at for r in a.readings)


def test_tiny_cohort_scores_every_condition() -> None:
    report = run_alert_bench(patients=12, days=60, seed=5, workers=1)
    assert [label for label, _, _ in report.rows] == ["Heart failure", "COPD", "Diabetes", "Hypertension",
                                                      "All patients"]
    overall = report.rows[-1][1]
    assert overall.patients == 12 and 0 <= overall.sensitivity <= 1
    assert "| Heart failure | ours |" in report.markdown()


def test_cli_prints_the_table() -> None:
    result = CliRunner().invoke(bench_alerts_app, ["--patients", "6", "--days", "45", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "false alerts / patient-month" in result.output
