"""Simulated home devices: they keep readings in memory as real GATT payloads, with a drifting clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from device_profiles.blood_pressure import build_blood_pressure_measurement
from device_profiles.weight import build_weight_measurement
from gateway.sim.scenarios import Sample

Encoder = Callable[[Sample, datetime], bytes]


def _bp(sample: Sample, device_time: datetime) -> bytes:
    v = sample.values
    mean = round((v["systolic"] + 2 * v["diastolic"]) / 3)
    return build_blood_pressure_measurement(v["systolic"], v["diastolic"], mean, unit="mmHg",
                                            time_stamp=device_time, pulse_rate=v["pulse"], user_id=1, status=())


def _weight(sample: Sample, device_time: datetime) -> bytes:
    return build_weight_measurement(sample.values["weight"], unit="kg", time_stamp=device_time)


@dataclass(frozen=True)
class DeviceKind:
    kind: str
    profile_id: str
    name: str  # advertised local name
    service: str  # advertised service UUID (16-bit)
    characteristic: str
    indicate: bool
    encode: Encoder


KINDS: dict[str, DeviceKind] = {
    "bp": DeviceKind("bp", "and_ua651ble", "A&D_UA-651", "1810", "2a35", True, _bp),
    "weight": DeviceKind("weight", "and_uc352ble", "A&D_UC-352", "181d", "2a9d", True, _weight),
}


@dataclass
class SimulatedDevice:
    address: str
    kind: DeviceKind
    clock_drift: timedelta = timedelta(0)  # device clock minus true local time
    battery: int = 90
    duplicate_notifications: bool = False
    disconnect_after: int | None = None  # drop the link after this many values (mid-transfer fault)
    pending: list[bytes] = field(default_factory=list)

    def take(self, sample: Sample) -> bytes:
        """The patient measures: the device stores the reading stamped by its own (drifting) clock."""
        payload = self.kind.encode(sample, sample.at + self.clock_drift)
        self.pending.append(payload)
        return payload

    def clock_now(self, true_local_now: datetime) -> datetime:
        return true_local_now.replace(tzinfo=None) + self.clock_drift

    @property
    def advertising(self) -> bool:
        return bool(self.pending)
