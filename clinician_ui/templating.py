"""Jinja2 environment: templates get the translation, number and time helpers of the page's locale."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from clinician_ui import glucose, i18n, presenters
from clinician_ui.alert_actions import ESCALATING_ROLES, OUTCOMES, SNOOZE_CHOICES

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
templates.env.globals.update(
    t=i18n.t, when=i18n.when, ago=i18n.ago, number=i18n.number, unit_label=i18n.unit_label,
    explanation_text=presenters.explanation_text, alert_value=presenters.alert_value,
    alert_measure=presenters.alert_measure, conditions_text=presenters.conditions_text,
    stale_days=presenters.stale_days, ranges_text=presenters.ranges_text, OUTCOMES=OUTCOMES,
    alert_unit=presenters.alert_unit, code_unit=presenters.code_unit, code_name=i18n.code_name,
    battery_text=presenters.battery_text, ESCALATING_ROLES=ESCALATING_ROLES,
    GLUCOSE_TARGETS=glucose.TARGETS,
    SNOOZE_CHOICES=SNOOZE_CHOICES, tir_segments=presenters.tir_segments, gmi_mmol_mol=presenters.gmi_mmol_mol,
)


def render(request: Request, name: str, locale: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    session = getattr(request.state, "session", None)
    context.setdefault("user", session.user if session else None)
    context.setdefault("csrf_token", session.csrf_token if session else "")
    response = templates.TemplateResponse(
        request, name, {"locale": locale, "now": datetime.now(i18n.TZ), **context}, status_code=status_code,
    )
    return response
