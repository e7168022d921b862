"""Simulated home devices: they keep readings in memory as real GATT payloads, with a drifting clock.

What a device is (services, characteristics, indicate or notify, stored records) comes from its shipped
profile; only how a scenario sample becomes bytes is written here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Literal

from device_profiles.blood_pressure import build_blood_pressure_measurement
from device_profiles.date_time import date_time_bytes
from device_profiles.glucose import build_glucose_measurement
from device_profiles.glucose_context import MEALS, build_glucose_measurement_context
from device_profiles.layout import VendorLayout, encode_layout
from device_profiles.profiles import DeviceProfile, load_profile
from device_profiles.pulse_oximeter import build_plx_spot_check
from device_profiles.temperature import build_temperature_measurement
from device_profiles.units import GLUCOSE_G_PER_MOL
from device_profiles.weight import build_weight_measurement
from gateway import racp
from gateway.racp import SEQUENCE_MODULO
from gateway.session import DeviceSpec
from gateway.sim.scenarios import Sample
from gateway.specs import spec_from_profile

GlucoseUnit = Literal["kg/L", "mol/L"]
RACP_OPERATORS = frozenset({racp.ALL_RECORDS, racp.LESS_OR_EQUAL, racp.GREATER_OR_EQUAL, racp.WITHIN_RANGE,
                            racp.FIRST_RECORD, racp.LAST_RECORD})


@dataclass(frozen=True)
class Encoding:
    """Per-device choices an encoder needs beyond the sample."""

    sequence: int = 0
    glucose_unit: GlucoseUnit = "kg/L"
    racp_operators: frozenset[int] = RACP_OPERATORS  # what the meter's control point understands


Encoder = Callable[[Sample, datetime, Encoding], bytes]


def _bp(sample: Sample, device_time: datetime, _: Encoding) -> bytes:
    v = sample.values
    mean = round((v["systolic"] + 2 * v["diastolic"]) / 3)
    return build_blood_pressure_measurement(v["systolic"], v["diastolic"], mean, unit="mmHg",
                                            time_stamp=device_time, pulse_rate=v["pulse"], user_id=1, status=())


def _weight(sample: Sample, device_time: datetime, _: Encoding) -> bytes:
    return build_weight_measurement(sample.values["weight"], unit="kg", time_stamp=device_time)


def _glucose(sample: Sample, device_time: datetime, enc: Encoding) -> bytes:
    mmol_per_l = sample.values["glucose"]
    if enc.glucose_unit == "mol/L":
        concentration = round(mmol_per_l, 1) / 1000
    else:
        # Most meters count in whole mg/dL and send that as kg/L (1 mg/dL = 1e-5 kg/L).
        concentration = round(mmol_per_l * GLUCOSE_G_PER_MOL / 10) * 1e-5
    return build_glucose_measurement(enc.sequence, device_time, concentration, unit=enc.glucose_unit,
                                     context_follows="meal" in sample.values)


def glucose_context(sample: Sample, sequence: int) -> bytes | None:
    """The Glucose Measurement Context a meter sends after a test the patient tagged with a meal
    (``values["meal"]`` holds the meal's number: 1 preprandial, 2 postprandial, 3 fasting, ...)."""
    meal = sample.values.get("meal")
    if meal is None:
        return None
    return build_glucose_measurement_context(sequence, meal=MEALS[int(meal)], tester="self",
                                             hba1c=sample.values.get("hba1c"))


def _spo2(sample: Sample, device_time: datetime, _: Encoding) -> bytes:
    # The shipped profile does not count on a time stamp; the simulated oximeter sends one anyway, so that
    # readings kept while out of range are not all dated at upload.
    return build_plx_spot_check(sample.values["spo2"], sample.values["pulse"], time_stamp=device_time)


def _temp(sample: Sample, device_time: datetime, _: Encoding) -> bytes:
    value = sample.values.get("temp", sample.values.get("body_temp"))
    if value is None:
        raise ValueError(f"temp sample without a temperature: {sample.values}")
    return build_temperature_measurement(value, unit="Cel", time_stamp=device_time, site="ear")


def _layout(profile_id: str) -> VendorLayout:
    return next(c.layout for c in load_profile(profile_id).characteristics if c.layout is not None)


def _spirometry(sample: Sample, device_time: datetime, _: Encoding) -> bytes:
    v = sample.values
    values: dict[str, float | None] = {k: v.get(k) for k in ("fev1", "fvc", "fev1_fvc", "pef", "fev6")}
    return encode_layout(_layout("home_spirometer_vl1"), values, grade=int(v.get("grade", 0)),
                         time_stamp=date_time_bytes(device_time))


def _peak_flow(sample: Sample, _time: datetime, _: Encoding) -> bytes:
    # The meter keeps no clock: the gateway dates the blow when it arrives.
    v = sample.values
    return encode_layout(_layout("peak_flow_meter_vl1"), {"pef": v.get("pef"), "fev1": v.get("fev1")})


def _advertised_name(profile: DeviceProfile) -> str:
    """A local name the profile's first name pattern matches; generic profiles advertise their model."""
    for pattern in profile.discovery.name_patterns:
        literal = pattern.removeprefix("^").removesuffix("$")
        if not re.search(r"[\\.*+?()\[\]{}|^$]", literal) and re.search(pattern, literal):
            return literal
    return profile.model


@dataclass(frozen=True)
class DeviceKind:
    """A kind of simulated device: which shipped profile it implements and how samples become bytes."""

    kind: str
    profile_id: str
    encode: Encoder

    @cached_property
    def profile(self) -> DeviceProfile:
        return load_profile(self.profile_id)

    @cached_property
    def spec(self) -> DeviceSpec:
        return spec_from_profile(self.profile)

    @property
    def name(self) -> str:
        return _advertised_name(self.profile)

    @property
    def service(self) -> str:
        return self.profile.discovery.service_uuids[0]

    @property
    def characteristic(self) -> str:
        return self.spec.measurements[0][0]

    @property
    def indicate(self) -> bool:
        return self.spec.measurements[0][1]

    @property
    def racp(self) -> str | None:
        return self.spec.racp

    @property
    def max_stored(self) -> int:
        return self.profile.records.max_stored or 500


KINDS: dict[str, DeviceKind] = {k.kind: k for k in (
    DeviceKind("bp", "and_ua651ble", _bp),
    DeviceKind("weight", "and_uc352ble", _weight),
    DeviceKind("glucose", "generic_glucose_meter", _glucose),
    DeviceKind("spo2", "generic_pulse_oximeter", _spo2),
    DeviceKind("temp", "generic_thermometer", _temp),
    DeviceKind("spirometry", "home_spirometer_vl1", _spirometry),
    DeviceKind("peak_flow", "peak_flow_meter_vl1", _peak_flow),
)}


@dataclass(frozen=True)
class StoredRecord:
    sequence: int
    payload: bytes
    context: bytes | None = None  # Glucose Measurement Context sent right after the measurement


@dataclass
class SimulatedDevice:
    address: str
    kind: DeviceKind
    clock_drift: timedelta = timedelta(0)  # device clock minus true local time
    battery: int = 90
    duplicate_notifications: bool = False
    disconnect_after: int | None = None  # drop the link after this many values (mid-transfer fault)
    glucose_unit: GlucoseUnit = "kg/L"
    racp_operators: frozenset[int] = RACP_OPERATORS  # what the meter's control point understands
    pending: list[bytes] = field(default_factory=list)  # pushed at the next connection (non-RACP devices)
    records: list[StoredRecord] = field(default_factory=list)  # kept in memory, oldest first (RACP meters)
    next_sequence: int = 0
    awake: bool = False  # a meter advertises for a while after a test
    battery_per_reading: int = 0  # percentage points each measurement costs (0: a battery that lasts)
    info: dict[str, str] = field(default_factory=dict)  # Device Information text by characteristic id

    @property
    def battery_dead(self) -> bool:
        """A flat battery: the device neither measures nor advertises, and keeps what it holds."""
        return self.battery <= 0

    def take(self, sample: Sample) -> bytes | None:
        """The patient measures: the device stores the reading stamped by its own (drifting) clock. With a
        flat battery nothing happens and None comes back."""
        if self.battery_dead:
            return None
        self.battery = max(0, self.battery - self.battery_per_reading)
        enc = Encoding(self.next_sequence, self.glucose_unit)
        payload = self.kind.encode(sample, sample.at + self.clock_drift, enc)
        if self.kind.racp is None:
            self.pending.append(payload)
            return payload
        context = glucose_context(sample, self.next_sequence) if self.kind.kind == "glucose" else None
        self.records.append(StoredRecord(self.next_sequence, payload, context))
        del self.records[:-self.kind.max_stored]  # a full meter overwrites its oldest record
        self.next_sequence = (self.next_sequence + 1) % SEQUENCE_MODULO
        self.awake = True
        return payload

    def reset(self) -> None:
        """Memory cleared (batteries out, factory reset): records gone, numbering starts again at 0."""
        self.records.clear()
        self.next_sequence = 0

    def clock_now(self, true_local_now: datetime) -> datetime:
        return true_local_now.replace(tzinfo=None) + self.clock_drift

    @property
    def advertising(self) -> bool:
        return not self.battery_dead and (bool(self.pending) or self.awake)
