"""Device Information Service (0x180A): manufacturer, model, serial number and firmware revision as text,
for kit health rather than for the patient record."""

from __future__ import annotations

from device_profiles.reading import DecodeError

MANUFACTURER_NAME = "2a29"
MODEL_NUMBER = "2a24"
SERIAL_NUMBER = "2a25"
FIRMWARE_REVISION = "2a26"

# characteristic id -> (profile decoder name, key in the device's status)
DEVICE_INFORMATION = {
    MANUFACTURER_NAME: ("manufacturer_name", "manufacturer"),
    MODEL_NUMBER: ("model_number", "model"),
    SERIAL_NUMBER: ("serial_number", "serial"),
    FIRMWARE_REVISION: ("firmware_revision", "firmware"),
}
DECODER_NAMES = {name: uuid for uuid, (name, _) in DEVICE_INFORMATION.items()}
MAX_LENGTH = 512  # [Core Spec, ATT] the longest attribute value


def decode_device_information(characteristic: str, data: bytes) -> str:
    """[GATT Specification Supplement] these four are "utf8s": UTF-8 text without a terminator and of any
    length. Some devices pad with NULs or spaces anyway; those are stripped. Bytes that are not UTF-8, or
    another characteristic id, are a DecodeError."""
    key = characteristic.strip().lower().removeprefix("0x")
    if key not in DEVICE_INFORMATION:
        raise DecodeError(f"{characteristic}: not a Device Information text characteristic")
    if len(data) > MAX_LENGTH:
        raise DecodeError(f"{key}: {len(data)} bytes is longer than an attribute value can be")
    try:
        text = bytes(data).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DecodeError(f"{key}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    return text.rstrip("\x00 ").replace("\x00", "")


def build_device_information(text: str) -> bytes:
    return text.encode("utf-8")
