"""FHIR R4 read API: a patient's record for a period ($everything), Observation search and the Patient itself.

Scoped like the JSON API (another organisation's patient is 404), every read audited, errors as
OperationOutcome.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.routing import APIRoute

from clinician_ui.deps import CurrentUser, DbConn
from clinician_ui.errors import LoginRequired, NotFound
from clinician_ui.fhir import bundle, mapping, store
from clinician_ui.fhir import systems as s
from clinician_ui.i18n import TZ
from clinician_ui.queries import patients as patient_q
from clinician_ui.queries.audit import record
from clinician_ui.queries.indicators import BadPeriod, local_days
from device_profiles.codes import CODES

DEFAULT_DAYS = 30
MAX_DAYS = 3660


class FhirRoute(APIRoute):
    """Answers refusals and bad requests with an OperationOutcome, as FHIR clients expect."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def fhir_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired:
                return _outcome(401, "Not signed in")
            except NotFound:
                return _outcome(404, "Not found")
            except RequestValidationError as exc:
                return _outcome(400, "; ".join(str(e.get("msg", e)) for e in exc.errors()))
            except HTTPException as exc:
                return _outcome(exc.status_code, str(exc.detail))

        return fhir_handler


router = APIRouter(prefix="/fhir", tags=["fhir"], route_class=FhirRoute)


def _outcome(status: int, message: str) -> Response:
    return Response(bundle.operation_outcome(status, message), status_code=status, media_type=bundle.MEDIA_TYPE)


def _fhir(body: str) -> Response:
    return Response(body, media_type=bundle.MEDIA_TYPE)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/fhir"


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=TZ)


def period(start: date | None, end: date | None, today: date) -> tuple[datetime, datetime]:
    try:
        return local_days(start, end, today, DEFAULT_DAYS, MAX_DAYS)
    except BadPeriod as exc:
        raise HTTPException(status_code=400, detail=str(exc)) from None


def _date_bound(value: str) -> tuple[datetime | None, datetime | None]:
    """One FHIR `date` search value on whole days: ge, gt, le, lt or eq (the default) and YYYY-MM-DD."""
    prefix, raw = (value[:2], value[2:]) if value[:2] in ("ge", "gt", "le", "lt", "eq") else ("eq", value)
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise HTTPException(status_code=400, detail=f"date must look like ge2024-05-01, not {value!r}") from None
    start, next_day = _day_start(day), _day_start(day + timedelta(days=1))
    return {"ge": (start, None), "gt": (next_day, None), "le": (None, next_day), "lt": (None, start),
            "eq": (start, next_day)}[prefix]


def _code_tokens(values: list[str]) -> set[tuple[str | None, str]]:
    tokens: set[tuple[str | None, str]] = set()
    for value in values:
        for token in value.split(","):
            system, bar, code = token.strip().rpartition("|")
            if code:
                tokens.add((system if bar and system else None, code))
    return tokens


def _loincs_for(tokens: set[tuple[str | None, str]]) -> set[str]:
    """The stored LOINC codes that can produce a match; a blood pressure code brings the whole panel."""
    wanted = {code for _, code in tokens}
    bp_codes = {s.BP_PANEL_LOINC, s.BP_PANEL_MDC[0], *s.BP_COMPONENTS,
                *(m[0] for m in s.BP_COMPONENTS.values() if m)}
    loincs = {c.loinc for c in CODES.values() if c.loinc and (c.loinc in wanted or (c.npu and c.npu in wanted))}
    if wanted & bp_codes or loincs & set(s.BP_COMPONENTS):
        loincs |= set(s.BP_COMPONENTS)
    return loincs


async def _visible_patient(conn: DbConn, user: CurrentUser, patient_id: int) -> dict[str, Any]:
    row = await patient_q.get_patient(conn, user.organisation_id, patient_id)
    if row is None:
        raise NotFound()
    return row


@router.get("/Patient/{patient_id}")
async def read_patient(patient_id: int, user: CurrentUser, conn: DbConn) -> Response:
    row = await _visible_patient(conn, user, patient_id)
    await record(conn, user.id, "fhir.patient.read", patient_id)
    return _fhir(bundle.resource_json(mapping.patient_resource(row)))


@router.get("/Patient/{patient_id}/$everything")
async def everything(patient_id: int, request: Request, user: CurrentUser, conn: DbConn,
                     start: Annotated[date | None, Query()] = None,
                     end: Annotated[date | None, Query()] = None) -> Response:
    """The patient, their organisations, devices, readings and alerts of the period, as one searchset."""
    row = await _visible_patient(conn, user, patient_id)
    since, until = period(start, end, datetime.now(TZ).date())
    readings = await store.observations(conn, patient_id, since, until)
    ref = f"Patient/{patient_id}"
    observations, where = mapping.observation_resources(readings, ref)
    flags = [mapping.flag_resource(a, ref, where, user.locale)
             for a in await store.alerts(conn, patient_id, since, until)]
    orgs = [mapping.organization_resource(o)
            for o in await store.organisations(conn, {row["nursing_org_id"], row["gp_org_id"]})]
    matches = [mapping.patient_resource(row), *observations, *flags]
    body = bundle.to_json(bundle.searchset(_base(request), matches, [*orgs, *mapping.devices_for(readings)],
                                           self_link=str(request.url), timestamp=datetime.now(TZ)))
    await record(conn, user.id, "fhir.everything", patient_id,
                 {"start": since.date().isoformat(), "end": (until - timedelta(days=1)).date().isoformat(),
                  "observations": len(observations), "flags": len(flags)})
    return _fhir(body)


@router.get("/Observation")
async def search_observations(request: Request, user: CurrentUser, conn: DbConn,
                              patient: Annotated[str, Query(max_length=40)],
                              code: Annotated[list[str] | None, Query(max_length=400)] = None,
                              date_: Annotated[list[str] | None, Query(alias="date", max_length=40)] = None,
                              ) -> Response:
    """Observations of one patient, optionally by code (`[system|]code`, comma = or) and day (`date=ge…`)."""
    try:
        patient_id = int(patient.removeprefix("Patient/"))
    except ValueError:
        raise HTTPException(status_code=400, detail="patient must be a Patient id") from None
    await _visible_patient(conn, user, patient_id)
    tokens = _code_tokens(code or [])
    since: datetime | None = None
    until: datetime | None = None
    for value in date_ or []:
        lo, hi = _date_bound(value)
        since = max(since, lo) if since and lo else since or lo
        until = min(until, hi) if until and hi else until or hi
    readings = await store.observations(conn, patient_id, since, until, _loincs_for(tokens) if tokens else None)
    ref = f"Patient/{patient_id}"
    observations, _ = mapping.observation_resources(readings, ref)
    if tokens:
        observations = [o for o in observations if mapping.wanted(o, tokens)]
    body = bundle.to_json(bundle.searchset(_base(request), observations, mapping.devices_for(readings),
                                           self_link=str(request.url), timestamp=datetime.now(TZ)))
    await record(conn, user.id, "fhir.observation.search", patient_id,
                 {"code": sorted(f"{sy}|{c}" if sy else c for sy, c in tokens), "date": date_ or [],
                  "observations": len(observations)})
    return _fhir(body)
