"""Pulse Oximeter Service: PLX Spot-Check (0x2A5E) and PLX Continuous (0x2A5F) Measurements — decoders and
the matching builders."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from device_profiles.cursor import Cursor
from device_profiles.date_time import date_time_bytes, read_date_time
from device_profiles.reading import DecodedReading
from device_profiles.sfloat import NoValue, encode_sfloat
from device_profiles.units import measurement

PLX_SPOT_CHECK = "2a5e"
PLX_CONTINUOUS = "2a5f"

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


def _status(cursor: Cursor, flags_byte: int, measurement_bit: int, sensor_bit: int) -> list[str]:
    flags: list[str] = []
    if flags_byte & measurement_bit:
        word = cursor.uint16("measurement status")
        flags.extend(name for bit, name in _MEASUREMENT_STATUS_BITS if word & (1 << bit))
    if flags_byte & sensor_bit:
        word = cursor.uint(3, "device and sensor status")
        flags.extend(name for bit, name in _DEVICE_SENSOR_BITS if word & (1 << bit))
    return flags


def _status_words(status: Iterable[str]) -> bytes:
    names = set(status)
    unknown = names - STATUS_FLAGS
    if unknown:
        raise ValueError(f"unknown PLX status flag(s): {sorted(unknown)}")
    measurement_word = sum(1 << bit for bit, name in _MEASUREMENT_STATUS_BITS if name in names)
    sensor_word = sum(1 << bit for bit, name in _DEVICE_SENSOR_BITS if name in names)
    return measurement_word.to_bytes(2, "little") + sensor_word.to_bytes(3, "little")


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
    flags.extend(_status(cursor, flags_byte, _MEASUREMENT_STATUS, _DEVICE_SENSOR_STATUS))
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
        flags |= _MEASUREMENT_STATUS | _DEVICE_SENSOR_STATUS
        body += _status_words(status)
    return bytes([flags]) + body


# [PLXS 1.0, PLX Continuous Measurement: Flags] bits 5-7 reserved. Fields in order: flags, SpO2PR-Normal
# (SpO2, PR), SpO2PR-Fast, SpO2PR-Slow, measurement status, device and sensor status, pulse amplitude index.
_CONT_FAST = 0x01
_CONT_SLOW = 0x02
_CONT_MEASUREMENT_STATUS = 0x04
_CONT_DEVICE_SENSOR_STATUS = 0x08
_CONT_PULSE_AMPLITUDE_INDEX = 0x10


def decode_plx_continuous(data: bytes) -> DecodedReading:
    """0x2A5F: SpO2 (%) and pulse rate (/min) from the SpO2PR-Normal pair, status words as quality flags.

    The Fast and Slow pairs (other averaging times of the same signal) and the pulse amplitude index are read
    for length but not reported: the Normal pair is the one a clinician compares with a spot check. The
    characteristic has no time stamp; the gateway dates it on receipt.
    """
    cursor = Cursor(data, PLX_CONTINUOUS)
    flags_byte = cursor.uint8("flags")
    measurements = (
        measurement("spo2", cursor.sfloat("SpO2 (normal)")),
        measurement("pulse_rate", cursor.sfloat("pulse rate (normal)")),
    )
    if flags_byte & _CONT_FAST:
        cursor.sfloat("SpO2 (fast)")
        cursor.sfloat("pulse rate (fast)")
    if flags_byte & _CONT_SLOW:
        cursor.sfloat("SpO2 (slow)")
        cursor.sfloat("pulse rate (slow)")
    flags = _status(cursor, flags_byte, _CONT_MEASUREMENT_STATUS, _CONT_DEVICE_SENSOR_STATUS)
    if flags_byte & _CONT_PULSE_AMPLITUDE_INDEX:
        cursor.sfloat("pulse amplitude index")
    flags.extend(cursor.trailing_flags())
    return DecodedReading(PLX_CONTINUOUS, measurements, flags=tuple(flags))


def build_plx_continuous(
    spo2: float | NoValue,
    pulse_rate: float | NoValue,
    *,
    fast: tuple[float | NoValue, float | NoValue] | None = None,
    slow: tuple[float | NoValue, float | NoValue] | None = None,
    status: Iterable[str] | None = None,
    pulse_amplitude_index: float | NoValue | None = None,
) -> bytes:
    """Bytes of a 0x2A5F value; ``status`` as in :func:`build_plx_spot_check`."""
    flags = 0
    body = encode_sfloat(spo2) + encode_sfloat(pulse_rate)
    if fast is not None:
        flags |= _CONT_FAST
        body += encode_sfloat(fast[0]) + encode_sfloat(fast[1])
    if slow is not None:
        flags |= _CONT_SLOW
        body += encode_sfloat(slow[0]) + encode_sfloat(slow[1])
    if status is not None:
        flags |= _CONT_MEASUREMENT_STATUS | _CONT_DEVICE_SENSOR_STATUS
        body += _status_words(status)
    if pulse_amplitude_index is not None:
        flags |= _CONT_PULSE_AMPLITUDE_INDEX
        body += encode_sfloat(pulse_amplitude_index)
    return bytes([flags]) + body
