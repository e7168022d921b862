"""Explanations read as people here write: local time, Danish decimal commas."""

from __future__ import annotations

from datetime import UTC, datetime

from alerts.explain import late_text, localise, when_text


def test_times_are_local_and_plain() -> None:
    at = datetime(2026, 11, 4, 7, 54, tzinfo=UTC)  # 08:54 in Copenhagen (winter time)
    assert when_text(at) == {"en": "4 Nov 08:54", "da": "4. nov. kl. 08:54"}
    summer = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
    assert when_text(summer)["da"] == "1. jul. kl. 08:00"
    text = late_text(at, datetime(2026, 11, 23, 12, 58, tzinfo=UTC))
    assert text["da"] == " Forsinkede data: målt 4. nov. kl. 08:54, modtaget 23. nov. kl. 13:58."


def test_danish_text_gets_decimal_commas_and_english_keeps_points() -> None:
    out = localise({"text": {"da": "Blodsukker 2.9 mmol/L er under 3.0. Målt 4. nov.", "en": "Glucose 2.9 mmol/L."}})
    assert out["text"] == {"da": "Blodsukker 2,9 mmol/L er under 3,0. Målt 4. nov.", "en": "Glucose 2.9 mmol/L."}
