"""Health-cluster indicators for leaders (page, JSON and CSV) and the admissions a nurse records for them."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import AwareDatetime, BaseModel, Field, model_validator

from clinician_ui.accounts import User
from clinician_ui.deps import CsrfSession, CurrentSession, CurrentUser, DbConn
from clinician_ui.errors import NotFound
from clinician_ui.i18n import TZ
from clinician_ui.queries import indicators as q
from clinician_ui.queries import patients as patient_q
from clinician_ui.queries.audit import record, record_many
from clinician_ui.templating import render

router = APIRouter(tags=["indicators"])

LEADER_ROLES = frozenset({"admin", "gp"})
PRESETS = (7, 30, 90, 365)
Source = Literal["nurse", "gp", "hospital", "import"]

LABELS: dict[str, dict[str, str]] = {
    "title": {"da": "Nøgletal for sundhedsklyngen", "en": "Health cluster indicators"},
    "nav": {"da": "Nøgletal", "en": "Indicators"},
    "period": {"da": "Periode", "en": "Period"},
    "from": {"da": "Fra", "en": "From"},
    "to": {"da": "Til", "en": "To"},
    "show": {"da": "Vis", "en": "Show"},
    "last_days": {"da": "Seneste {n} dage", "en": "Last {n} days"},
    "csv": {"da": "Hent som CSV", "en": "Download CSV"},
    "municipality": {"da": "Kommune", "en": "Municipality"},
    "gp_practice": {"da": "Lægepraksis", "en": "GP practice"},
    "organisation": {"da": "Organisation", "en": "Organisation"},
    "patients": {"da": "Borgere monitoreret", "en": "Patients monitored"},
    "copd": {"da": "KOL", "en": "COPD"},
    "heart_failure": {"da": "Hjertesvigt", "en": "Heart failure"},
    "diabetes": {"da": "Diabetes", "en": "Diabetes"},
    "hypertension": {"da": "Forhøjet blodtryk", "en": "Hypertension"},
    "patient_days": {"da": "Borgerdage", "en": "Patient-days"},
    "alerts_per_100": {"da": "Alarmer pr. 100 borgerdage", "en": "Alerts per 100 patient-days"},
    "median_ack": {"da": "Median tid til kvittering (min.)", "en": "Median time to acknowledge (min)"},
    "missing_rate": {"da": "Dage uden målinger", "en": "Days without readings"},
    "outcomes": {"da": "Udfald ved afslutning", "en": "Outcomes at resolution"},
    "normalised": {"da": "Normaliseret", "en": "Normalised"},
    "contacted_patient": {"da": "Kontakt til borger", "en": "Patient contacted"},
    "home_visit": {"da": "Hjemmebesøg", "en": "Home visit"},
    "gp_informed": {"da": "Læge orienteret", "en": "GP informed"},
    "admitted": {"da": "Indlagt", "en": "Admitted"},
    "false_alarm": {"da": "Falsk alarm", "en": "False alarm"},
    "admissions": {"da": "Indlæggelser", "en": "Admissions"},
    "readmissions_30d": {"da": "Genindlæggelser inden 30 dage", "en": "Readmissions within 30 days"},
    "readmissions_3d": {"da": "heraf inden 3 dage", "en": "of which within 3 days"},
    "empty": {"da": "Ingen monitorerede borgere i perioden.", "en": "No monitored patients in the period."},
    "definitions": {"da": "Borgerdage tæller dage med et udleveret sæt. Dage under indlæggelse tæller ikke som"
                          " manglende målinger.",
                    "en": "Patient-days count days with a kit assigned. Days in hospital do not count as days"
                          " without readings."},
    "adm_title": {"da": "Indlæggelser", "en": "Admissions"},
    "adm_record": {"da": "Registrér indlæggelse", "en": "Record an admission"},
    "adm_patient": {"da": "Borger", "en": "Patient"},
    "adm_admitted": {"da": "Indlagt", "en": "Admitted"},
    "adm_discharged": {"da": "Udskrevet (hvis kendt)", "en": "Discharged (if known)"},
    "adm_source": {"da": "Kilde", "en": "Source"},
    "adm_note": {"da": "Note", "en": "Note"},
    "adm_save": {"da": "Gem", "en": "Save"},
    "adm_none": {"da": "Ingen registrerede indlæggelser.", "en": "No admissions recorded."},
    "adm_saved": {"da": "Indlæggelsen er gemt.", "en": "The admission is saved."},
    "adm_invalid": {"da": "Udskrivelsen kan ikke ligge før indlæggelsen.",
                    "en": "Discharge cannot be before admission."},
    "nurse": {"da": "Sygeplejerske", "en": "Nurse"},
    "gp": {"da": "Læge", "en": "GP"},
    "hospital": {"da": "Hospital", "en": "Hospital"},
    "import": {"da": "Import", "en": "Import"},
}


def label(key: str, locale: str, **values: object) -> str:
    text = LABELS[key].get(locale) or LABELS[key]["en"]
    return text.format(**values) if values else text


def _leader(user: User) -> None:
    if user.role not in LEADER_ROLES:
        raise HTTPException(status_code=403, detail="Indicators are for leaders (admin or GP)")


def _period(start: date | None, end: date | None) -> tuple[datetime, datetime]:
    try:
        return q.local_days(start, end, datetime.now(TZ).date())
    except q.BadPeriod as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None


def as_dict(ind: q.Indicators) -> dict[str, Any]:
    return {
        "axis": ind.axis, "organisation_id": ind.organisation_id, "organisation": ind.organisation,
        "patients": ind.patients, "programmes": ind.programmes, "patient_days": ind.patient_days,
        "alerts": ind.alerts, "alerts_red": ind.alerts_red,
        "alerts_per_100_patient_days": ind.alerts_per_100_patient_days,
        "acknowledged": ind.acknowledged, "median_ack_minutes": ind.median_ack_minutes,
        "days_expected": ind.expected_days, "days_without_readings": ind.missing_days,
        "missing_data_rate": ind.missing_data_rate, "outcomes": ind.outcomes, "admissions": ind.admissions,
        "readmissions_30d": ind.readmissions_30d, "readmissions_3d": ind.readmissions_3d,
    }


def to_csv(rows: list[q.Indicators], since: datetime, until: datetime) -> str:
    """One line per organisation; numbers in plain '.'-decimal form for spreadsheets and scripts."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    programmes = [f"patients_{p}" for p in q.PROGRAMMES]
    outcomes = [f"outcome_{o}" for o in q.OUTCOMES]
    writer.writerow(["period_start", "period_end", "axis", "organisation_id", "organisation", "patients",
                     *programmes, "patient_days", "alerts", "alerts_red", "alerts_per_100_patient_days",
                     "acknowledged", "median_ack_minutes", "days_expected", "days_without_readings",
                     "missing_data_rate", *outcomes, "admissions", "readmissions_30d", "readmissions_3d"])
    first, last = since.date().isoformat(), (until.date().toordinal() - 1)
    for r in rows:
        writer.writerow([first, date.fromordinal(last).isoformat(), r.axis, r.organisation_id, r.organisation,
                         r.patients, *(r.programmes.get(p, 0) for p in q.PROGRAMMES), r.patient_days, r.alerts,
                         r.alerts_red, _blank(r.alerts_per_100_patient_days), r.acknowledged,
                         _blank(r.median_ack_minutes), r.expected_days, r.missing_days,
                         _blank(r.missing_data_rate), *(r.outcomes.get(o, 0) for o in q.OUTCOMES), r.admissions,
                         r.readmissions_30d, r.readmissions_3d])
    return out.getvalue()


def _blank(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


async def _figures(conn: DbConn, user: User, start: date | None, end: date | None,
                   action: str) -> tuple[list[q.Indicators], datetime, datetime]:
    _leader(user)
    since, until = _period(start, end)
    rows = await q.indicators(conn, user.organisation_id, since, until)
    await record(conn, user.id, action, None, {"start": since.date().isoformat(),
                                               "end": until.date().isoformat(), "rows": len(rows)})
    return rows, since, until


StartQ = Annotated[date | None, Query()]
EndQ = Annotated[date | None, Query()]


@router.get("/indicators", include_in_schema=False)
async def indicators_page(request: Request, session: CurrentSession, conn: DbConn, start: StartQ = None,
                          end: EndQ = None) -> HTMLResponse:
    rows, since, until = await _figures(conn, session.user, start, end, "indicators.view")
    last = date.fromordinal(until.date().toordinal() - 1)
    return render(request, "indicators.html", session.user.locale, page="indicators", rows=rows,
                  start=since.date(), end=last, presets=PRESETS, label=label, outcomes=q.OUTCOMES,
                  programmes=q.PROGRAMMES)


@router.get("/indicators.csv", include_in_schema=False)
async def indicators_csv(user: CurrentUser, conn: DbConn, start: StartQ = None, end: EndQ = None) -> Response:
    rows, since, until = await _figures(conn, user, start, end, "indicators.export")
    name = f"nearcare-indicators-{since.date().isoformat()}.csv"
    return Response(to_csv(rows, since, until), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/api/indicators")
async def indicators_json(user: CurrentUser, conn: DbConn, start: StartQ = None,
                          end: EndQ = None) -> dict[str, Any]:
    rows, since, until = await _figures(conn, user, start, end, "indicators.view")
    return {"start": since.isoformat(), "end": until.isoformat(), "rows": [as_dict(r) for r in rows]}


# --- admissions ---------------------------------------------------------------------------------------------

class AdmissionIn(BaseModel):
    admitted_at: AwareDatetime
    discharged_at: AwareDatetime | None = None
    source: Source = "nurse"
    note: str | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _order(self) -> AdmissionIn:
        if self.discharged_at is not None and self.discharged_at < self.admitted_at:
            raise ValueError("discharged_at is before admitted_at")
        return self


async def _save(conn: DbConn, user: User, patient_id: int, body: AdmissionIn) -> int:
    note = (body.note or "").strip() or None
    admission_id = await q.record_admission(conn, user.organisation_id, patient_id, user.id, body.admitted_at,
                                            body.discharged_at, body.source, note)
    if admission_id is None:
        raise NotFound()
    await record(conn, user.id, "admission.record", patient_id,
                 {"admission_id": admission_id, "admitted_at": body.admitted_at.isoformat(),
                  "discharged_at": body.discharged_at.isoformat() if body.discharged_at else None,
                  "source": body.source})
    return admission_id


@router.post("/api/patients/{patient_id}/admissions", status_code=201)
async def create_admission(patient_id: int, body: AdmissionIn, session: CsrfSession,
                           conn: DbConn) -> dict[str, int]:
    return {"id": await _save(conn, session.user, patient_id, body)}


async def _admissions_page(request: Request, session: CurrentSession, conn: DbConn, *, saved: bool = False,
                           error: str | None = None, status_code: int = 200) -> HTMLResponse:
    user = session.user
    rows = await q.recent_admissions(conn, user.organisation_id)
    await record_many(conn, user.id, "admission.list", (r["patient_id"] for r in rows))
    patients = await patient_q.list_patients(conn, user.organisation_id)
    return render(request, "admissions.html", user.locale, status_code=status_code, page="admissions",
                  admissions=rows, patients=sorted(patients, key=lambda p: p["display_name"]), label=label,
                  sources=("nurse", "gp", "hospital"), saved=saved, error=error)


@router.get("/admissions", include_in_schema=False)
async def admissions_page(request: Request, session: CurrentSession, conn: DbConn,
                          saved: Annotated[bool, Query()] = False) -> HTMLResponse:
    return await _admissions_page(request, session, conn, saved=saved)


def _local(day: date, at: time | None) -> datetime:
    return datetime.combine(day, at or time(12, 0), tzinfo=TZ)


@router.post("/admissions", include_in_schema=False)
async def admissions_form(request: Request, session: CsrfSession, conn: DbConn,
                          patient_id: Annotated[int, Form()], admitted_on: Annotated[date, Form()],
                          admitted_time: Annotated[time | None, Form()] = None,
                          discharged_on: Annotated[date | None, Form()] = None,
                          discharged_time: Annotated[time | None, Form()] = None,
                          source: Annotated[Source, Form()] = "nurse",
                          note: Annotated[str, Form(max_length=2000)] = "") -> Response:
    admitted = _local(admitted_on, admitted_time)
    discharged = _local(discharged_on, discharged_time) if discharged_on else None
    if discharged is not None and discharged < admitted:
        return await _admissions_page(request, session, conn, status_code=400,
                                      error=label("adm_invalid", session.user.locale))
    await _save(conn, session.user, patient_id,
                AdmissionIn(admitted_at=admitted, discharged_at=discharged, source=source, note=note))
    return RedirectResponse("/admissions?saved=1", status_code=303)
