"""Settings from environment variables or .env (prefix NEARCARE_); unset URLs mean embedded defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

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
    mqtt_shared_subscription: bool = True  # $share/ingest/…; the embedded broker does not support it
    ingest_workers: int = 1
    log_format: Literal["console", "json"] = "console"


def load() -> Settings:
    return Settings()
