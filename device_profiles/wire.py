"""The MQTT wire model shared by gateway and ingest: topics, observation batches, deterministic ids."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Final, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

TOPIC_ROOT = "nearcare/v1/gw"
WIRE_VERSION: Final = 1

# Fixed namespace so that every gateway, retry and re-download derives the same id for the same reading.
OBSERVATION_NAMESPACE = uuid.UUID("6f1c2a1e-4b7e-5c7a-9d1e-6e6561726361")


def topic(gateway_id: str, kind: Literal["obs", "status", "events", "cmd"]) -> str:
    return f"{TOPIC_ROOT}/{gateway_id}/{kind}"


def gateway_id_from_topic(name: str) -> str | None:
    parts = name.split("/")
    if len(parts) != 5 or "/".join(parts[:3]) != TOPIC_ROOT:
        return None
    return parts[3]


def observation_id(device_id: str, characteristic: str, payload: bytes, code: str,
                   anchor: str | None = None) -> uuid.UUID:
    """Same reading ⇒ same id. ``anchor`` disambiguates payloads that carry no time stamp or sequence
    (the gateway passes its receive time then), so that two equal readings on different days differ."""
    key = f"{device_id}|{characteristic}|{payload.hex()}|{code}|{anchor or ''}"
    return uuid.uuid5(OBSERVATION_NAMESPACE, key)


class DeviceRef(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1, max_length=64)  # BLE address or serial number
    profile: str = Field(min_length=1, max_length=64)


class WireObservation(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: uuid.UUID
    code: str = Field(min_length=1, max_length=32)  # LOINC
    value: float
    unit: str = Field(min_length=1, max_length=16)  # UCUM
    measured_at: AwareDatetime  # device time corrected for the device clock offset
    received_at: AwareDatetime  # gateway receive time
    device: DeviceRef
    user_index: int | None = Field(default=None, ge=0, le=255)
    source: Literal["automatic", "manual"] = "automatic"
    flags: tuple[str, ...] = ()


class ObservationBatch(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    v: Literal[1] = WIRE_VERSION
    gateway_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    sent_at: AwareDatetime
    observations: tuple[WireObservation, ...] = Field(min_length=1, max_length=1000)


class GatewayStatus(BaseModel):
    """Retained status message; the last will carries ``online=False``."""

    model_config = ConfigDict(extra="forbid")

    gateway_id: str
    online: bool
    at: datetime | None = None
    software: str | None = None
    outbox_depth: int | None = None
    devices: dict[str, dict[str, object]] = Field(default_factory=dict)
