"""Settings from environment variables or .env (prefix NEARCARE_); unset URLs mean embedded defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEARCARE_", env_file=".env", extra="ignore")

    database_url: str | None = None  # PostgreSQL or TimescaleDB; unset: embedded PostgreSQL
    mqtt_url: str | None = None  # mqtt://user:pass@host:1883 or mqtts://…; unset: embedded broker
    data_dir: Path = Path("data")  # embedded database, gateway outboxes, demo logins
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    timezone: str = "Europe/Copenhagen"
    secure_cookies: bool = False  # set true behind HTTPS in production
    # Ingest workers share $share/ingest/…: "auto" unless the broker is one known to lose a durable shared
    # subscription's messages across a restart (ingest/broker.py), "always", or "off". Never on the embedded broker.
    mqtt_shared_subscription: Literal["auto", "always", "off"] = "auto"
    ingest_workers: int = 1
    log_format: Literal["console", "json"] = "console"

    @field_validator("mqtt_shared_subscription", mode="before")
    @classmethod
    def _boolean_spelling(cls, value: object) -> object:
        # The setting used to be a boolean: true means share where it is safe, false means never.
        text = str(value).strip().lower()
        return {"true": "auto", "1": "auto", "yes": "auto", "false": "off", "0": "off", "no": "off"}.get(text, text)

    def ingest_subscription(self, embedded_broker: bool) -> tuple[bool, bool]:
        """(share the load, ask the broker's version first) for an ingest worker."""
        shared = self.mqtt_shared_subscription != "off" and not embedded_broker
        return shared, self.mqtt_shared_subscription == "auto"


def load() -> Settings:
    return Settings()
