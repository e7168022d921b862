"""The home side: BLE sessions, device simulators, the SQLite outbox, MQTT publishing, gateway health."""
