"""Pulse Oximeter Service: PLX Spot-Check Measurement (0x2A5E) — decoder and the matching builder."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from device_profiles.cursor import Cursor
from device_profiles.date_time import date_time_bytes, read_date_time
from device_profiles.reading import DecodedReading
from device_profiles.sfloat import NoValue, encode_sfloat
from device_profiles.units import measurement

PLX_SPOT_CHECK = "2a5e"

# [PLXS 1.0, PLX Spot-Check Measurement: Flags] bits 5-7 reserved.
_TIME_STAMP = 0x01
_MEASUREMENT_STATUS = 0x02
_DEVICE_SENSOR_STATUS = 0x04
_PULSE_AMPLITUDE_INDEX = 0x08
_CLOCK_NOT_SET = 0x10

# [PLXS 1.0, Measurement Status] bits 0-4 reserved.
_MEASUREMENT_STATUS_BITS = (
    (5, "measurement_ongoing"),
    (6, "early_estimated_data"),
    (7, "validated_data"),
    (8, "fully_qualified_data"),
    (9, "data_from_measurement_storage"),
    (10, "data_for_demonstration"),
    (11, "data_for_testing"),
    (12, "calibration_ongoing"),
    (13, "measurement_unavailable"),
    (14, "questionable_measurement"),
    (15, "invalid_measurement"),
)
# [PLXS 1.0, Device and Sensor Status] 24-bit field, bits 16-23 reserved.
_DEVICE_SENSOR_BITS = (
    (0, "extended_display_update_ongoing"),
    (1, "equipment_malfunction"),
    (2, "signal_processing_irregularity"),
    (3, "inadequate_signal"),
    (4, "poor_signal"),
    (5, "low_perfusion"),
    (6, "erratic_signal"),
    (7, "nonpulsatile_signal"),
    (8, "questionable_pulse"),
    (9, "signal_analysis_ongoing"),
    (10, "sensor_interference"),
    (11, "sensor_unconnected_to_user"),
    (12, "unknown_sensor_connected"),
    (13, "sensor_displaced"),
    (14, "sensor_malfunctioning"),
    (15, "sensor_disconnected"),
)
STATUS_FLAGS = frozenset(name for _, name in _MEASUREMENT_STATUS_BITS + _DEVICE_SENSOR_BITS)


def decode_plx_spot_check(data: bytes) -> DecodedReading:
    """0x2A5E: SpO2 (%) and pulse rate (/min), optional time stamp and status words as quality flags.

    The pulse amplitude index is read for length but not reported: the platform has no code for it.
    """
    cursor = Cursor(data, PLX_SPOT_CHECK)
    flags_byte = cursor.uint8("flags")
    measurements = (
        measurement("spo2", cursor.sfloat("SpO2")),
        measurement("pulse_rate", cursor.sfloat("pulse rate")),
    )
    flags: list[str] = []
    device_time: datetime | None = None
    if flags_byte & _TIME_STAMP:
        device_time, time_flags = read_date_time(cursor)
        flags.extend(time_flags)
    if flags_byte & _MEASUREMENT_STATUS:
        word = cursor.uint16("measurement status")
        flags.extend(name for bit, name in _MEASUREMENT_STATUS_BITS if word & (1 << bit))
    if flags_byte & _DEVICE_SENSOR_STATUS:
        word = cursor.uint(3, "device and sensor status")
        flags.extend(name for bit, name in _DEVICE_SENSOR_BITS if word & (1 << bit))
    if flags_byte & _PULSE_AMPLITUDE_INDEX:
        cursor.sfloat("pulse amplitude index")
    if flags_byte & _CLOCK_NOT_SET:
        # The time stamp comes from a clock nobody set: keep the reading, drop the time.
        flags.append("device_clock_not_set")
        device_time = None
    flags.extend(cursor.trailing_flags())
    return DecodedReading(PLX_SPOT_CHECK, measurements, device_time=device_time, flags=tuple(flags))


def build_plx_spot_check(
    spo2: float | NoValue,
    pulse_rate: float | NoValue,
    *,
    time_stamp: datetime | None = None,
    status: Iterable[str] | None = None,
    clock_not_set: bool = False,
) -> bytes:
    """Bytes of a 0x2A5E value. ``status`` names go to the measurement-status or device-and-sensor-status
    word they belong to; both words are sent when ``status`` is given."""
    flags = _CLOCK_NOT_SET if clock_not_set else 0
    body = encode_sfloat(spo2) + encode_sfloat(pulse_rate)
    if time_stamp is not None:
        flags |= _TIME_STAMP
        body += date_time_bytes(time_stamp)
    if status is not None:
        names = set(status)
        unknown = names - STATUS_FLAGS
        if unknown:
            raise ValueError(f"unknown PLX status flag(s): {sorted(unknown)}")
        measurement_word = sum(1 << bit for bit, name in _MEASUREMENT_STATUS_BITS if name in names)
        sensor_word = sum(1 << bit for bit, name in _DEVICE_SENSOR_BITS if name in names)
        flags |= _MEASUREMENT_STATUS | _DEVICE_SENSOR_STATUS
        body += measurement_word.to_bytes(2, "little") + sensor_word.to_bytes(3, "little")
    return bytes([flags]) + body
