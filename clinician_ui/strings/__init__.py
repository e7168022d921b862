"""Interface text of the later screens, one module per area; i18n merges them into one table."""

from __future__ import annotations

from clinician_ui.strings import admin, home, rounds, triage

ALL: dict[str, dict[str, str]] = {**triage.STRINGS, **rounds.STRINGS, **admin.STRINGS, **home.STRINGS}
