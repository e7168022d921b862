"""Prometheus metrics of the ingest worker: what came in, what was stored, quarantined or doubled, and lag."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

READINGS = Counter("nearcare_ingest_readings_total", "Readings handled by ingest, by outcome", ["outcome"])
MESSAGES = Counter("nearcare_ingest_messages_total", "MQTT messages committed and acknowledged")
BATCH_SECONDS = Histogram("nearcare_ingest_batch_seconds", "Time to validate and commit one batch",
                          buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
DB_RETRIES = Counter("nearcare_ingest_db_retries_total", "Batches held back because the database failed")
WAITING = Gauge("nearcare_ingest_waiting_messages", "Messages received but not yet committed")
SHARED_SUBSCRIPTION = Gauge("nearcare_ingest_shared_subscription",
                            "1: workers share the load ($share); 0: plain subscription (broker unsafe for sharing)")
LAST_COMMIT = Gauge("nearcare_ingest_last_commit_timestamp_seconds", "When the last batch was committed")


def record_batch(inserted: int, duplicates: int, quarantined: int, messages: int, seconds: float,
                 waiting: int) -> None:
    READINGS.labels("inserted").inc(inserted)
    READINGS.labels("duplicate").inc(duplicates)
    READINGS.labels("quarantined").inc(quarantined)
    MESSAGES.inc(messages)
    BATCH_SECONDS.observe(seconds)
    WAITING.set(waiting)
    LAST_COMMIT.set_to_current_time()
