"""Prometheus metrics of the alert worker: alert actions by rule and severity, queue depth, evaluation time.

Exported by `nearcare alerts run --metrics-port N` (nearcare.metrics_server); recording costs a dictionary
lookup, so the engine records whether or not anything scrapes.
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import Counter, Gauge, Histogram

from alerts.model import Action, AutoResolve, Fold, Open, Update

OPENED = Counter("nearcare_alerts_opened_total", "Alerts opened.", ["rule", "severity"])
UPDATED = Counter("nearcare_alerts_updated_total", "New evidence added to a live alert.", ["rule", "severity"])
FOLDED = Counter("nearcare_alerts_folded_total",
                 "Findings folded into a related live alert instead of opening one.", ["rule", "severity"])
RESOLVED = Counter("nearcare_alerts_resolved_total", "Alerts that closed themselves (values normalised).",
                   ["rule", "severity"])
QUEUE_DEPTH = Gauge("nearcare_alert_queue_depth", "Committed readings waiting for the alert core.")
EVALUATION_SECONDS = Histogram(
    "nearcare_alert_evaluation_seconds", "Time to claim and evaluate one batch of queued readings.",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5, 1.0, 2.5, 5.0, 10.0))
READINGS = Counter("nearcare_alert_readings_evaluated_total", "Queued readings evaluated.")


def record(action: Action, labels: Mapping[int, tuple[str, str]] | None = None) -> None:
    """Count one written action; ``labels`` gives (rule, severity) of live alerts by id, for resolutions."""
    if isinstance(action, Open):
        OPENED.labels(action.finding.rule, action.finding.severity).inc()
    elif isinstance(action, Update):
        UPDATED.labels(action.finding.rule, action.severity).inc()
    elif isinstance(action, Fold):
        FOLDED.labels(action.finding.rule, action.finding.severity).inc()
    elif isinstance(action, AutoResolve):
        rule, severity = (labels or {}).get(action.alert_id, ("unknown", "unknown"))
        RESOLVED.labels(rule, severity).inc()
