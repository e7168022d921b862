"""A read-only cursor over a characteristic value: little-endian integers and medical floats, each short
read a DecodeError naming the field."""

from __future__ import annotations

from device_profiles.reading import DecodeError
from device_profiles.sfloat import Special, float_from_raw, sfloat_from_raw


class Cursor:
    """Reads fields in order from an immutable ``bytes``; never mutates what it is given."""

    def __init__(self, data: bytes, characteristic: str) -> None:
        self._data = bytes(data)
        self._pos = 0
        self.characteristic = characteristic

    @property
    def position(self) -> int:
        return self._pos

    @property
    def remaining(self) -> int:
        return len(self._data) - self._pos

    def error(self, reason: str) -> DecodeError:
        return DecodeError(f"{self.characteristic}: {reason}")

    def take(self, size: int, field: str) -> bytes:
        if self.remaining < size:
            raise self.error(
                f"{field} needs {size} byte(s) at offset {self._pos}, only {self.remaining} left "
                f"(value is {len(self._data)} bytes)"
            )
        chunk = self._data[self._pos : self._pos + size]
        self._pos += size
        return chunk

    def uint(self, size: int, field: str) -> int:
        return int.from_bytes(self.take(size, field), "little")

    def sint(self, size: int, field: str) -> int:
        return int.from_bytes(self.take(size, field), "little", signed=True)

    def uint8(self, field: str) -> int:
        return self.uint(1, field)

    def uint16(self, field: str) -> int:
        return self.uint(2, field)

    def sfloat(self, field: str) -> float | Special:
        return sfloat_from_raw(self.uint(2, field))

    def float32(self, field: str) -> float | Special:
        return float_from_raw(self.uint(4, field))

    def trailing_flags(self) -> tuple[str, ...]:
        """Bytes beyond the fields the flags announce: kept visible as a flag rather than rejected, because a
        later revision of a characteristic may append fields that this decoder does not know yet."""
        return ("trailing_bytes_ignored",) if self.remaining else ()
