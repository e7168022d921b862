"""Searchset Bundles, checked against the FHIR structure definitions by `fhir.resources` before they leave us.

`fhir.resources` ships R4B (4.3) rather than 4.0.1; Patient, Organization, Device, Observation, Flag and Bundle
are the same in both, so what validates here is valid R4.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.operationoutcome import OperationOutcome

from clinician_ui.fhir.mapping import Resource

MEDIA_TYPE = "application/fhir+json"


class InvalidResource(ValueError):
    """A resource we built does not fit FHIR; a bug on our side, never sent to a client."""


def searchset(base_url: str, matches: Sequence[Resource], included: Iterable[Resource] = (),
              self_link: str | None = None, timestamp: datetime | None = None) -> dict[str, Any]:
    """A searchset Bundle as JSON: `matches` counted in `total`, `included` marked as includes."""
    base = base_url.rstrip("/")

    def entry(resource: Resource, mode: str) -> dict[str, Any]:
        return {"fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}", "resource": resource,
                "search": {"mode": mode}}

    bundle: dict[str, Any] = {"resourceType": "Bundle", "type": "searchset", "total": len(matches),
                              "entry": [entry(r, "match") for r in matches] + [entry(r, "include") for r in included]}
    if timestamp is not None:
        bundle["timestamp"] = timestamp.isoformat()
    if self_link:
        bundle["link"] = [{"relation": "self", "url": self_link}]
    return bundle


def validated(bundle: dict[str, Any]) -> Bundle:
    """Parse the Bundle (and every resource in it) with the R4B models; raises InvalidResource if it breaks."""
    try:
        return Bundle.model_validate(bundle)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        raise InvalidResource(str(exc)) from exc


def to_json(bundle: dict[str, Any]) -> str:
    """The validated Bundle in its canonical JSON form."""
    return str(validated(bundle).model_dump_json())


def resource_json(resource: Resource) -> str:
    """One resource, validated against the model of its type, in canonical JSON."""
    try:
        model = get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    except ValueError as exc:
        raise InvalidResource(str(exc)) from exc
    return str(model.model_dump_json())


def operation_outcome(status: int, message: str) -> str:
    code = {401: "login", 403: "forbidden", 404: "not-found", 422: "invalid"}.get(status, "processing")
    outcome = OperationOutcome.model_validate({
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": code, "diagnostics": message}],
    })
    return str(outcome.model_dump_json())
