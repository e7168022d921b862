"""Ingest settings from the environment (prefix NEARCARE_INGEST_): worker tuning, share group, retention."""

from __future__ import annotations

from typing import Annotated

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class IngestSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEARCARE_INGEST_", env_file=".env", extra="ignore")

    # Workers in one group split the load ($share/<group>/…); a separate group receives its own copy of everything.
    share_group: Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+$")] = "ingest"
    batch_size: Annotated[int, Field(ge=1, le=20_000)] = 1000
    batch_wait_ms: Annotated[int, Field(ge=0, le=10_000)] = 50
    # Messages held in memory between the MQTT thread and the writer; when full, the broker keeps the rest.
    inbox_size: Annotated[int, Field(ge=1)] = 20_000
    # TimescaleDB only: drop observation chunks older than this (a PostgreSQL interval, e.g. "10 years");
    # unset or "off" keeps everything. Applied by every `nearcare db migrate`.
    retention: str | None = None
    # Local day boundaries of the daily summaries.
    timezone: Annotated[str, Field(validation_alias=AliasChoices("NEARCARE_TIMEZONE", "timezone"))] = (
        "Europe/Copenhagen")

    @property
    def retention_interval(self) -> str | None:
        value = (self.retention or "").strip()
        return None if value.lower() in ("", "off", "none", "0") else value


def load_ingest_settings() -> IngestSettings:
    return IngestSettings()
