"""Text for home."""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
}
