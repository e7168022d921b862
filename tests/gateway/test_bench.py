"""`nearcare bench gateway` runs end to end on a short budget (the figures come from the long run)."""

from __future__ import annotations

from gateway.bench import measure_drain, measure_memory, rss_mb, two_day_backlog


def test_rss_is_read_from_proc() -> None:
    assert 5 < rss_mb() < 2000


def test_short_memory_run(mqtt_url: str) -> None:
    result = measure_memory(mqtt_url, seconds=4, measure_every_s=1)
    assert result.devices == 6 and result.readings > 0
    assert 0 < result.idle_python_rss_mb < result.rss_steady_mb < 60
    assert result.cpu_ms_per_reading > 0


def test_short_drain_run(mqtt_url: str) -> None:
    result = measure_drain(mqtt_url, readings=600)
    assert result.gateway_readings_per_s > result.bounded_readings_per_s > 0
    assert result.raw_paho_readings_per_s > 0
    assert two_day_backlog() == result.two_day_backlog > 20
