"""Interface text in Danish (default) and English, and how numbers, units and times are shown."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from device_profiles.codes import BY_LOINC, CODES, Code

TZ = ZoneInfo("Europe/Copenhagen")
LOCALES = ("da", "en")
DEFAULT_LOCALE = "da"

STRINGS: dict[str, dict[str, str]] = {
    "app_name": {"da": "nearcare", "en": "nearcare"},
    "login_title": {"da": "Log ind", "en": "Sign in"},
    "username": {"da": "Brugernavn", "en": "Username"},
    "password": {"da": "Adgangskode", "en": "Password"},
    "login_button": {"da": "Log ind", "en": "Sign in"},
    "login_failed": {"da": "Forkert brugernavn eller adgangskode.", "en": "Wrong username or password."},
    "login_throttled": {"da": "For mange forkerte forsøg. Vent {minutes} min. og prøv igen.",
                        "en": "Too many failed attempts. Wait {minutes} min and try again."},
    "login_form_expired": {"da": "Siden var udløbet. Prøv igen.", "en": "The page had expired. Try again."},
    "login_missing": {"da": "Udfyld brugernavn og adgangskode.", "en": "Enter username and password."},
    "logout": {"da": "Log ud", "en": "Sign out"},
    "nav_triage": {"da": "Alarmer", "en": "Alerts"},
    "nav_patients": {"da": "Borgere", "en": "Patients"},
    "switch_language": {"da": "English", "en": "Dansk"},
    "triage_title": {"da": "Alarmer – værste først", "en": "Alerts – worst first"},
    "queue_open": {"da": "Ikke set", "en": "New"},
    "queue_acknowledged": {"da": "Set – mangler afslutning", "en": "Seen – to be closed"},
    "queue_empty": {"da": "Ingen åbne alarmer.", "en": "No open alerts."},
    "queue_ack_empty": {"da": "Ingen alarmer venter på afslutning.", "en": "No alerts waiting to be closed."},
    "live_connected": {"da": "Opdateres automatisk", "en": "Updating live"},
    "live_connecting": {"da": "Forbinder …", "en": "Connecting …"},
    "live_lost": {"da": "Forbindelsen er afbrudt – prøver igen. Genindlæs siden, hvis det varer ved.",
                  "en": "Connection lost – retrying. Reload the page if this persists."},
    "new_alert_announce": {"da": "Ny alarm", "en": "New alert"},
    "severity_red": {"da": "RØD", "en": "RED"},
    "severity_yellow": {"da": "GUL", "en": "YELLOW"},
    "severity_red_long": {"da": "Rød – handl nu", "en": "Red – act now"},
    "severity_yellow_long": {"da": "Gul – følg op i dag", "en": "Yellow – follow up today"},
    "status_open": {"da": "Ikke set", "en": "New"},
    "status_acknowledged": {"da": "Set", "en": "Seen"},
    "status_resolved": {"da": "Afsluttet", "en": "Closed"},
    "measured": {"da": "Målt", "en": "Measured"},
    "raised": {"da": "Alarm oprettet", "en": "Alert raised"},
    "acknowledge": {"da": "Kvittér", "en": "Acknowledge"},
    "acknowledged_by": {"da": "Set af {name}, {when}", "en": "Seen by {name}, {when}"},
    "note_optional": {"da": "Note (valgfri)", "en": "Note (optional)"},
    "resolve": {"da": "Afslut", "en": "Close"},
    "outcome": {"da": "Udfald", "en": "Outcome"},
    "choose_outcome": {"da": "Vælg udfald …", "en": "Choose outcome …"},
    "outcome_contacted_patient": {"da": "Kontaktet borgeren", "en": "Contacted patient"},
    "outcome_home_visit": {"da": "Hjemmebesøg", "en": "Home visit"},
    "outcome_gp_informed": {"da": "Egen læge informeret", "en": "GP informed"},
    "outcome_admitted": {"da": "Indlagt", "en": "Admitted"},
    "outcome_false_alarm": {"da": "Falsk alarm", "en": "False alarm"},
    "action_failed": {"da": "Det lykkedes ikke. Genindlæs siden og prøv igen.",
                      "en": "That did not work. Reload the page and try again."},
    "patients_title": {"da": "Mine borgere", "en": "My patients"},
    "patients_empty": {"da": "Ingen borgere tilknyttet.", "en": "No patients assigned."},
    "col_patient": {"da": "Borger", "en": "Patient"},
    "col_conditions": {"da": "Forløb", "en": "Programmes"},
    "col_alerts": {"da": "Åbne alarmer", "en": "Open alerts"},
    "col_latest": {"da": "Seneste måling", "en": "Latest reading"},
    "col_status": {"da": "Status", "en": "Status"},
    "no_readings": {"da": "Ingen målinger", "en": "No readings"},
    "stale_readings": {"da": "Ingen målinger i {days} døgn", "en": "No readings for {days} days"},
    "none": {"da": "Ingen", "en": "None"},
    "born": {"da": "Født {year}", "en": "Born {year}"},
    "patient_status_active": {"da": "Aktiv", "en": "Active"},
    "patient_status_admitted": {"da": "Indlagt", "en": "Admitted"},
    "patient_status_away": {"da": "Bortrejst", "en": "Away"},
    "patient_status_paused": {"da": "Pause", "en": "Paused"},
    "condition_copd": {"da": "KOL", "en": "COPD"},
    "condition_heart_failure": {"da": "Hjertesvigt", "en": "Heart failure"},
    "condition_diabetes": {"da": "Diabetes", "en": "Diabetes"},
    "condition_hypertension": {"da": "Forhøjet blodtryk", "en": "Hypertension"},
    "measurements": {"da": "Målinger", "en": "Measurements"},
    "period": {"da": "Periode", "en": "Period"},
    "days_n": {"da": "{n} dage", "en": "{n} days"},
    "latest": {"da": "Seneste", "en": "Latest"},
    "change_since": {"da": "Ændring over perioden", "en": "Change over period"},
    "no_readings_period": {"da": "Ingen målinger i perioden.", "en": "No readings in this period."},
    "legend_red": {"da": "Rødt område", "en": "Red range"},
    "legend_yellow": {"da": "Gult område", "en": "Yellow range"},
    "legend_normal": {"da": "Normalt område", "en": "Normal range"},
    "ranges": {"da": "Grænser", "en": "Ranges"},
    "alerts_for_patient": {"da": "Alarmer", "en": "Alerts"},
    "no_alerts": {"da": "Ingen alarmer.", "en": "No alerts."},
    "open_alerts_n": {"da": "{n} åbne", "en": "{n} open"},
    "chart_readings": {"da": "Målinger", "en": "Readings"},
    "reading_flags": {"da": "Bemærkning ved måling", "en": "Reading flags"},
    "back_to_triage": {"da": "Tilbage til alarmer", "en": "Back to alerts"},
    "today": {"da": "i dag", "en": "today"},
    "yesterday": {"da": "i går", "en": "yesterday"},
    "tomorrow": {"da": "i morgen", "en": "tomorrow"},
    "ago_min": {"da": "for {n} min. siden", "en": "{n} min ago"},
    "ago_hours": {"da": "for {n} t. siden", "en": "{n} h ago"},
    "ago_days": {"da": "for {n} døgn siden", "en": "{n} days ago"},
    "just_now": {"da": "lige nu", "en": "just now"},
    "not_found": {"da": "Siden findes ikke.", "en": "Page not found."},
    "forbidden": {"da": "Du har ikke adgang til denne side.", "en": "You do not have access to this page."},
}

_UNITS = {
    "da": {"mm[Hg]": "mmHg", "Cel": "°C", "/min": "slag/min", "kg/m2": "kg/m²", "L/min": "l/min", "L": "l",
           "mmol/L": "mmol/l"},
    "en": {"mm[Hg]": "mmHg", "Cel": "°C", "/min": "bpm", "kg/m2": "kg/m²"},
}
_MONTHS = {
    "da": ["jan.", "feb.", "mar.", "apr.", "maj", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec."],
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
}


def pick_locale(value: str | None) -> str:
    return value if value in LOCALES else DEFAULT_LOCALE


def t(locale: str, key: str, **values: object) -> str:
    entry = STRINGS.get(key)
    if entry is None:
        return key
    text = entry.get(locale) or entry["en"]
    return text.format(**values) if values else text


def code_for(code: str) -> Code | None:
    """An alert or observation code may be the internal key or the LOINC code."""
    return CODES.get(code) or BY_LOINC.get(code)


def code_name(code: str, locale: str) -> str:
    c = code_for(code)
    if c is None:
        return code
    return c.name_da if locale == "da" else c.name_en


def unit_label(unit: str, locale: str) -> str:
    return _UNITS.get(locale, {}).get(unit, unit)


def number(value: float | None, locale: str, decimals: int | None = None) -> str:
    if value is None:
        return "–"
    if decimals is None:
        decimals = 0 if float(value).is_integer() else (1 if abs(value) >= 10 else 2)
        text = f"{value:.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    else:
        text = f"{value:.{decimals}f}"
    return text.replace(".", ",") if locale == "da" else text


def local(dt: datetime) -> datetime:
    return dt.astimezone(TZ)


def when(dt: datetime | None, locale: str, now: datetime | None = None) -> str:
    """'i dag 14:32', 'i går 22:10' or '21. nov. 08:05', in Copenhagen time."""
    if dt is None:
        return "–"
    now_l = local(now or datetime.now(TZ))
    d = local(dt)
    clock = d.strftime("%H:%M")
    if d.date() == now_l.date():
        return f"{t(locale, 'today')} {clock}"
    if d.date() == (now_l - timedelta(days=1)).date():
        return f"{t(locale, 'yesterday')} {clock}"
    if d.date() == (now_l + timedelta(days=1)).date():
        return f"{t(locale, 'tomorrow')} {clock}"
    month = _MONTHS[locale][d.month - 1]
    year = f" {d.year}" if d.year != now_l.year else ""
    if locale == "da":
        return f"{d.day}. {month}{year} {clock}"
    return f"{d.day} {month}{year} {clock}"


def ago(dt: datetime | None, locale: str, now: datetime | None = None) -> str:
    if dt is None:
        return ""
    seconds = ((now or datetime.now(TZ)) - dt).total_seconds()
    if seconds < 60:
        return t(locale, "just_now")
    if seconds < 3600:
        return t(locale, "ago_min", n=int(seconds // 60))
    if seconds < 48 * 3600:
        return t(locale, "ago_hours", n=int(seconds // 3600))
    return t(locale, "ago_days", n=int(seconds // 86400))


def _merge_later_screens() -> None:
    from clinician_ui.strings import ALL

    clash = set(ALL) & set(STRINGS)
    assert not clash, f"text keys defined twice: {sorted(clash)}"
    STRINGS.update(ALL)


_merge_later_screens()
