"""From the broker to the database: MQTT consumption, validation, quarantine, batched writes, schema."""
