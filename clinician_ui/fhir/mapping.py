"""Rows from our schema to FHIR R4 resources (plain JSON dicts): Patient, Organization, Device, Observation, Flag.

Observations follow the HL7 Personal Health Device IG in style: LOINC plus UCUM, the measuring device and the
gateway as references, blood pressure as one panel (85354-9) whose systolic, diastolic and mean are components,
and the device's quality flags carried as coded extensions. Danish NPU codes ride along as a second coding.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from typing import Any

from clinician_ui.fhir import systems as s
from device_profiles.codes import Code, by_loinc
from device_profiles.profiles import ProfileError, load_profile

Row = Mapping[str, Any]
Resource = dict[str, Any]

# Fixed namespace so that a device, gateway or blood pressure panel gets the same id in every export.
_ID_NAMESPACE = uuid.UUID("2c5d0f7e-3a51-5e0b-9b7c-6e6561726366")


def _stable_id(*parts: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, "|".join(parts)))


def device_id(device: str, profile: str | None) -> str:
    """FHIR id of a home device; BLE addresses contain ':' which a FHIR id may not."""
    return _stable_id("device", device, profile or "")


def gateway_id(gateway: str) -> str:
    return _stable_id("gateway", gateway)


def _iso(value: datetime) -> str:
    return value.isoformat()


def _coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def measurement_concept(loinc: str, code: Code | None) -> dict[str, Any]:
    """LOINC first; the NPU code where the measurement has one; the plain English name as text."""
    codings = [_coding(s.LOINC, loinc, code.name_en if code else None)]
    if code and code.npu:
        codings.append(_coding(s.NPU, code.npu))
    mdc = s.BP_COMPONENTS.get(loinc)
    if mdc:
        codings.append(_coding(s.MDC, mdc[0], mdc[1]))
    concept: dict[str, Any] = {"coding": codings}
    if code:
        concept["text"] = code.name_en
    return concept


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": s.UCUM, "code": unit}


# --- people and places -------------------------------------------------------------------------------------

def patient_resource(row: Row) -> Resource:
    resource: Resource = {
        "resourceType": "Patient",
        "id": str(row["id"]),
        "identifier": [{"system": s.PATIENT_ID, "value": str(row["id"])}],
        "active": True,
        "name": [{"text": row["display_name"]}],
        "managingOrganization": {"reference": f"Organization/{row['nursing_org_id']}"},
        "generalPractitioner": [{"reference": f"Organization/{row['gp_org_id']}"}],
    }
    if row.get("birth_year"):
        resource["birthDate"] = f"{int(row['birth_year']):04d}"  # only the year is kept
    return resource


def organization_resource(row: Row) -> Resource:
    return {
        "resourceType": "Organization",
        "id": str(row["id"]),
        "identifier": [{"system": s.ORGANISATION_ID, "value": str(row["id"])}],
        "active": True,
        "name": row["name"],
    }


def device_resource(device: str, profile: str | None) -> Resource:
    resource: Resource = {
        "resourceType": "Device",
        "id": device_id(device, profile),
        "identifier": [{"system": s.DEVICE_ID, "value": device}],
    }
    if not profile:
        return resource
    resource["identifier"].append({"system": s.DEVICE_PROFILE, "value": profile})
    try:
        known = load_profile(profile)
    except ProfileError:
        return resource  # a profile this server does not ship: the identifiers still say what it is
    resource["manufacturer"] = known.manufacturer
    resource["modelNumber"] = known.model
    resource["deviceName"] = [{"name": f"{known.manufacturer} {known.model}", "type": "user-friendly-name"}]
    resource["type"] = {"text": known.kind.replace("_", " ")}
    return resource


def gateway_resource(gateway: str) -> Resource:
    return {
        "resourceType": "Device",
        "id": gateway_id(gateway),
        "identifier": [{"system": s.GATEWAY_ID, "value": gateway}],
        "deviceName": [{"name": f"nearcare gateway {gateway}", "type": "user-friendly-name"}],
        "type": {"text": "personal health gateway"},
    }


def devices_for(observations: Iterable[Row]) -> list[Resource]:
    """Every measuring device and gateway that the readings name, once each, in a stable order."""
    found: dict[str, Resource] = {}
    for row in observations:
        if row.get("device_id"):
            r = device_resource(row["device_id"], row.get("device_profile"))
            found.setdefault(r["id"], r)
        if row.get("gateway_id"):
            r = gateway_resource(row["gateway_id"])
            found.setdefault(r["id"], r)
    return [found[k] for k in sorted(found)]


# --- observations -------------------------------------------------------------------------------------------

def _flag_extensions(flags: Iterable[str]) -> list[dict[str, Any]]:
    return [{"url": s.EXT_MEASUREMENT_FLAG, "valueCoding": _coding(s.MEASUREMENT_FLAG, f)}
            for f in sorted(set(flags))]


def _base_observation(row: Row, patient_ref: str, resource_id: str, concept: dict[str, Any],
                      category: str | None, flags: Iterable[str]) -> Resource:
    resource: Resource = {
        "resourceType": "Observation",
        "id": resource_id,
        "status": "final",
        "code": concept,
        "subject": {"reference": patient_ref},
        "effectiveDateTime": _iso(row["measured_at"]),
        "issued": _iso(row["received_at"]),
    }
    extensions = [{"url": s.EXT_OBSERVATION_SOURCE, "valueCode": row.get("source") or "automatic"}]
    if row.get("gateway_id"):
        extensions.append({"url": s.EXT_GATEWAY_DEVICE,
                           "valueReference": {"reference": f"Device/{gateway_id(row['gateway_id'])}"}})
    extensions.extend(_flag_extensions(flags))
    resource["extension"] = extensions
    if category:
        resource["category"] = [{"coding": [_coding(s.OBSERVATION_CATEGORY, category)]}]
    if row.get("device_id"):
        resource["device"] = {"reference": f"Device/{device_id(row['device_id'], row.get('device_profile'))}"}
    return resource


def observation_resource(row: Row, patient_ref: str) -> Resource:
    """One reading as one Observation with a valueQuantity."""
    code = by_loinc(row["code"])
    resource = _base_observation(row, patient_ref, str(row["id"]), measurement_concept(row["code"], code),
                                 s.CATEGORY_BY_KEY.get(code.key) if code else None, row.get("flags") or ())
    resource["valueQuantity"] = _quantity(float(row["value"]), row["unit"])
    return resource


def _bp_key(row: Row) -> tuple[str, str, str]:
    """One cuff measurement: same device (or same manual entry) and same measured time."""
    return (row.get("device_id") or f"manual:{row.get('entered_by') or ''}", row.get("source") or "",
            _iso(row["measured_at"]))


def blood_pressure_panel(rows: list[Row], patient_ref: str) -> Resource:
    """Systolic, diastolic and mean readings of one measurement as one 85354-9 panel with components."""
    first = rows[0]
    ordered = sorted(rows, key=lambda r: list(s.BP_COMPONENTS).index(r["code"]))
    panel_id = _stable_id("bp-panel", *sorted(str(r["id"]) for r in rows))
    concept = {"coding": [_coding(s.LOINC, s.BP_PANEL_LOINC, "Blood pressure panel with all children optional"),
                          _coding(s.MDC, *s.BP_PANEL_MDC)],
               "text": "Blood pressure"}
    flags = {f for r in rows for f in (r.get("flags") or ())}
    resource = _base_observation(first, patient_ref, panel_id, concept, "vital-signs", flags)
    resource["component"] = [
        {"code": measurement_concept(r["code"], by_loinc(r["code"])),
         "valueQuantity": _quantity(float(r["value"]), r["unit"])}
        for r in ordered
    ]
    return resource


def observation_resources(rows: Iterable[Row], patient_ref: str) -> tuple[list[Resource], dict[str, str]]:
    """All readings as Observations, blood pressure grouped into panels, in measured-time order.

    Also returns which Observation id each reading ended up in, so alerts can point at their evidence.
    """
    singles: list[Resource] = []
    bp_groups: dict[tuple[str, str, str], list[Row]] = {}
    where: dict[str, str] = {}
    for row in rows:
        if row["code"] in s.BP_COMPONENTS:
            group = bp_groups.setdefault(_bp_key(row), [])
            # A repeated component at the same instant would be a second measurement; keep the first.
            if all(r["code"] != row["code"] for r in group):
                group.append(row)
                continue
        resource = observation_resource(row, patient_ref)
        singles.append(resource)
        where[str(row["id"])] = resource["id"]
    for group in bp_groups.values():
        panel = blood_pressure_panel(group, patient_ref)
        singles.append(panel)
        for r in group:
            where[str(r["id"])] = panel["id"]
    singles.sort(key=lambda r: (r["effectiveDateTime"], r["id"]))
    return singles, where


def wanted(resource: Resource, codes: Collection[tuple[str | None, str]]) -> bool:
    """Does an Observation match a code search (token ``[system|]code``)? A panel also matches by the codes of
    its components, so asking for systolic pressure finds the blood pressure panels."""
    concepts = [resource["code"], *(c["code"] for c in resource.get("component", ()))]
    return any(code == coding["code"] and system in (None, coding["system"])
               for concept in concepts for coding in concept["coding"] for system, code in codes)


# --- alerts -------------------------------------------------------------------------------------------------

def flag_resource(row: Row, patient_ref: str, evidence_ids: Mapping[str, str], locale: str = "en") -> Resource:
    """An alert as a Flag: active while open or acknowledged, with its period, severity and evidence."""
    explanation = row.get("explanation") or {}
    text = explanation.get("text") or {}
    message = text.get(locale) or text.get("en") or f"{row['rule']} {row['code']}".strip()
    codings = [_coding(s.ALERT_RULE, row["rule"])]
    loinc = explanation.get("loinc")
    if loinc:
        codings.append(_coding(s.LOINC, loinc))
    period: dict[str, str] = {"start": _iso(row["opened_at"])}
    if row.get("resolved_at"):
        period["end"] = _iso(row["resolved_at"])
    extensions: list[dict[str, Any]] = [
        {"url": s.EXT_ALERT_SEVERITY, "valueCode": row["severity"]},
        {"url": s.EXT_ALERT_STATUS, "valueCode": row["status"]},
    ]
    if row.get("outcome"):
        extensions.append({"url": s.EXT_ALERT_OUTCOME, "valueCode": row["outcome"]})
    detail_ids = sorted({evidence_ids[str(e)] for e in row.get("evidence") or () if str(e) in evidence_ids})
    extensions.extend({"url": s.EXT_FLAG_DETAIL, "valueReference": {"reference": f"Observation/{i}"}}
                      for i in detail_ids)
    return {
        "resourceType": "Flag",
        "id": f"alert-{row['id']}",
        "identifier": [{"system": s.ALERT_ID, "value": str(row["id"])}],
        "extension": extensions,
        "status": "inactive" if row["status"] == "resolved" else "active",
        "category": [{"coding": [_coding(s.FLAG_CATEGORY, "clinical", "Clinical")]}],
        "code": {"coding": codings, "text": message},
        "subject": {"reference": patient_ref},
        "period": period,
    }
