"""Prometheus metrics of a gateway, refreshed at every heartbeat (for fleets that scrape their kits)."""

from __future__ import annotations

from datetime import datetime

from prometheus_client import Gauge

OUTBOX_DEPTH = Gauge("nearcare_gateway_outbox_depth", "Readings waiting in the outbox")
OUTBOX_EVICTED = Gauge("nearcare_gateway_outbox_evicted", "Readings evicted over the outbox cap since start")
LAST_UPLOAD = Gauge("nearcare_gateway_last_upload_timestamp_seconds", "When the broker last acknowledged a batch")
CONNECTED = Gauge("nearcare_gateway_connected", "1 while connected to the broker")
DEVICE_LAST_SEEN = Gauge("nearcare_gateway_device_last_seen_timestamp_seconds", "When a device was last heard",
                         ["device"])
DEVICE_BATTERY = Gauge("nearcare_gateway_device_battery_percent", "Battery level a device last reported",
                       ["device"])


def update(depth: int, evicted: int, last_upload: datetime | None, connected: bool,
           devices: dict[str, dict[str, object]]) -> None:
    OUTBOX_DEPTH.set(depth)
    OUTBOX_EVICTED.set(evicted)
    if last_upload is not None:
        LAST_UPLOAD.set(last_upload.timestamp())
    CONNECTED.set(1 if connected else 0)
    for address, status in devices.items():
        seen = status.get("last_seen")
        if isinstance(seen, str):
            DEVICE_LAST_SEEN.labels(address).set(datetime.fromisoformat(seen).timestamp())
        battery = status.get("battery")
        if isinstance(battery, int | float):
            DEVICE_BATTERY.labels(address).set(battery)
