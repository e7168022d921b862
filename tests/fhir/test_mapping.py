"""Pure mapping from rows to FHIR resources: golden resources, the blood pressure panel, NPU codings, Flags."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from fhir.resources.R4B.bundle import Bundle

from clinician_ui.fhir import bundle, mapping
from clinician_ui.fhir import systems as s

AT = datetime(2024, 5, 2, 7, 30, tzinfo=UTC)
PATIENT = {"id": 7, "display_name": "Inger Jensen", "birth_year": 1944, "nursing_org_id": 1, "gp_org_id": 2,
           "conditions": ["heart_failure"], "status": "active"}


def reading(code: str, value: float, unit: str, *, at: datetime = AT, device: str | None = "AA:BB:CC:00:11:22",
            profile: str | None = "and_ua651ble", flags: list[str] | None = None, n: int = 0) -> dict[str, Any]:
    return {"id": uuid.uuid5(uuid.NAMESPACE_URL, f"{code}-{at.isoformat()}-{device}-{n}"), "code": code,
            "value": value, "unit": unit, "measured_at": at, "received_at": at + timedelta(seconds=40),
            "gateway_id": "gw-0001" if device else None, "device_id": device, "device_profile": profile,
            "user_index": 1, "source": "automatic" if device else "manual", "entered_by": None,
            "flags": flags or []}


def test_patient_golden() -> None:
    assert mapping.patient_resource(PATIENT) == {
        "resourceType": "Patient",
        "id": "7",
        "identifier": [{"system": s.PATIENT_ID, "value": "7"}],
        "active": True,
        "name": [{"text": "Inger Jensen"}],
        "managingOrganization": {"reference": "Organization/1"},
        "generalPractitioner": [{"reference": "Organization/2"}],
        "birthDate": "1944",
    }


def test_spo2_observation_golden_with_npu_second_coding() -> None:
    row = reading("59408-5", 94.0, "%", device="11:22:33:44:55:66", profile="generic_pulse_oximeter",
                  flags=["low_perfusion"])
    resources, where = mapping.observation_resources([row], "Patient/7")
    device = mapping.device_id("11:22:33:44:55:66", "generic_pulse_oximeter")
    assert resources == [{
        "resourceType": "Observation",
        "id": str(row["id"]),
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "59408-5", "display": "Oxygen saturation"},
                            {"system": "http://npu-terminology.org", "code": "NPU27280"}],
                 "text": "Oxygen saturation"},
        "subject": {"reference": "Patient/7"},
        "effectiveDateTime": "2024-05-02T07:30:00+00:00",
        "issued": "2024-05-02T07:30:40+00:00",
        "extension": [
            {"url": s.EXT_OBSERVATION_SOURCE, "valueCode": "automatic"},
            {"url": s.EXT_GATEWAY_DEVICE, "valueReference": {"reference": f"Device/{mapping.gateway_id('gw-0001')}"}},
            {"url": s.EXT_MEASUREMENT_FLAG, "valueCoding": {"system": s.MEASUREMENT_FLAG, "code": "low_perfusion"}},
        ],
        "category": [{"coding": [{"system": s.OBSERVATION_CATEGORY, "code": "vital-signs"}]}],
        "device": {"reference": f"Device/{device}"},
        "valueQuantity": {"value": 94.0, "unit": "%", "system": "http://unitsofmeasure.org", "code": "%"},
    }]
    assert where == {str(row["id"]): str(row["id"])}


def test_glucose_has_no_npu_coding_where_codes_has_none() -> None:
    [obs], _ = mapping.observation_resources([reading("14743-9", 7.5, "mmol/L", device=None)], "Patient/7")
    assert [c["system"] for c in obs["code"]["coding"]] == [s.LOINC]
    assert obs["category"][0]["coding"][0]["code"] == "laboratory"
    assert "device" not in obs
    assert {"url": s.EXT_OBSERVATION_SOURCE, "valueCode": "manual"} in obs["extension"]


def test_blood_pressure_is_one_panel_per_device_and_time() -> None:
    rows = [reading("8480-6", 152, "mm[Hg]", flags=["irregular_pulse"]), reading("8462-4", 91, "mm[Hg]"),
            reading("8478-0", 111, "mm[Hg]"), reading("8867-4", 71, "/min"),
            # the same instant on another cuff is another measurement
            reading("8480-6", 140, "mm[Hg]", device="DD:EE:FF:00:11:22"),
            reading("8462-4", 85, "mm[Hg]", device="DD:EE:FF:00:11:22"),
            # and a later one on the first cuff
            reading("8480-6", 149, "mm[Hg]", at=AT + timedelta(hours=12)),
            reading("8462-4", 88, "mm[Hg]", at=AT + timedelta(hours=12))]
    resources, where = mapping.observation_resources(rows, "Patient/7")
    panels = [r for r in resources if r["code"]["coding"][0]["code"] == "85354-9"]
    assert len(panels) == 3 and len(resources) == 4  # three panels and the pulse
    first = next(p for p in panels if p["device"]["reference"].endswith(mapping.device_id(
        "AA:BB:CC:00:11:22", "and_ua651ble")) and p["effectiveDateTime"].startswith("2024-05-02T07"))
    assert first["code"]["coding"][1] == {"system": s.MDC, "code": "150020", "display": "MDC_PRESS_BLD_NONINV"}
    parts = [(c["code"]["coding"][0]["code"], c["valueQuantity"]["value"]) for c in first["component"]]
    assert parts == [("8480-6", 152), ("8462-4", 91), ("8478-0", 111)]
    systolic = first["component"][0]["code"]["coding"]
    assert {"system": s.NPU, "code": "NPU57947"} in systolic
    assert {"system": s.MDC, "code": "150021", "display": "MDC_PRESS_BLD_NONINV_SYS"} in systolic
    assert {"system": s.NPU, "code": "NPU57948"} in first["component"][1]["code"]["coding"]
    assert all("valueQuantity" not in p for p in panels)
    assert {"url": s.EXT_MEASUREMENT_FLAG,
            "valueCoding": {"system": s.MEASUREMENT_FLAG, "code": "irregular_pulse"}} in first["extension"]
    assert where[str(rows[0]["id"])] == where[str(rows[2]["id"])] == first["id"]
    # Same readings, same panel id: exports are repeatable.
    again, _ = mapping.observation_resources(list(reversed(rows)), "Patient/7")
    assert sorted(r["id"] for r in again) == sorted(r["id"] for r in resources)
    assert mapping.wanted(first, {(None, "8480-6")}) and mapping.wanted(first, {(s.LOINC, "85354-9")})
    assert not mapping.wanted(first, {(s.NPU, "8480-6")})


def test_devices_from_profiles() -> None:
    devices = mapping.devices_for([reading("8480-6", 150, "mm[Hg]"),
                                   reading("29463-7", 80, "kg", device="99:99", profile="not_shipped")])
    by_id = {d["identifier"][0]["value"]: d for d in devices}
    cuff = by_id["AA:BB:CC:00:11:22"]
    assert cuff["manufacturer"] == "A&D Medical" and cuff["modelNumber"] == "UA-651BLE"
    assert {"system": s.DEVICE_PROFILE, "value": "and_ua651ble"} in cuff["identifier"]
    assert "manufacturer" not in by_id["99:99"]
    assert by_id["gw-0001"]["type"] == {"text": "personal health gateway"}
    assert len(devices) == 3


def _alert(**over: Any) -> dict[str, Any]:
    row = {"id": 41, "rule": "threshold", "code": "bp_systolic", "severity": "red", "status": "resolved",
           "opened_at": AT, "acknowledged_at": AT + timedelta(minutes=9), "resolved_at": AT + timedelta(hours=1),
           "outcome": "home_visit", "evidence": [],
           "explanation": {"loinc": "8480-6", "text": {"en": "Systolic 186 above 179.", "da": "Systolisk 186."}}}
    return {**row, **over}


def test_alert_becomes_a_flag_pointing_at_the_panel() -> None:
    rows = [reading("8480-6", 186, "mm[Hg]"), reading("8462-4", 101, "mm[Hg]")]
    observations, where = mapping.observation_resources(rows, "Patient/7")
    flag = mapping.flag_resource(_alert(evidence=[rows[0]["id"], uuid.uuid4()]), "Patient/7", where, "da")
    assert flag["status"] == "inactive"
    assert flag["period"] == {"start": "2024-05-02T07:30:00+00:00", "end": "2024-05-02T08:30:00+00:00"}
    assert flag["code"]["text"] == "Systolisk 186."
    assert flag["code"]["coding"] == [{"system": s.ALERT_RULE, "code": "threshold"},
                                      {"system": s.LOINC, "code": "8480-6"}]
    assert {"url": s.EXT_ALERT_OUTCOME, "valueCode": "home_visit"} in flag["extension"]
    details = [e["valueReference"]["reference"] for e in flag["extension"] if e["url"] == s.EXT_FLAG_DETAIL]
    assert details == [f"Observation/{observations[0]['id']}"]  # the unknown evidence id is left out
    live = mapping.flag_resource(_alert(status="open", resolved_at=None, outcome=None), "Patient/7", {})
    assert live["status"] == "active" and "end" not in live["period"]
    assert live["code"]["text"] == "Systolic 186 above 179."


def test_bundle_validates_and_round_trips() -> None:
    rows = [reading("8480-6", 152, "mm[Hg]"), reading("8462-4", 91, "mm[Hg]"), reading("59408-5", 95, "%")]
    observations, where = mapping.observation_resources(rows, "Patient/7")
    matches = [mapping.patient_resource(PATIENT), *observations,
               mapping.flag_resource(_alert(evidence=[rows[0]["id"]]), "Patient/7", where)]
    included = [mapping.organization_resource({"id": 1, "name": "Hjemmesygeplejen Nord", "kind": "nursing_team"}),
                *mapping.devices_for(rows)]
    raw = bundle.searchset("https://example.test/fhir", matches, included, timestamp=AT)
    text = bundle.to_json(raw)
    parsed = Bundle.model_validate(json.loads(text))
    assert parsed.total == 4 and len(parsed.entry or []) == 4 + 1 + 2
    assert json.loads(parsed.model_dump_json()) == json.loads(text)
    types = [e.resource.get_resource_type() for e in parsed.entry or []]
    assert types == ["Patient", "Observation", "Observation", "Flag", "Organization", "Device", "Device"]
    assert parsed.entry[0].fullUrl == "https://example.test/fhir/Patient/7"


def test_structurally_wrong_resource_is_refused() -> None:
    broken = {**mapping.patient_resource(PATIENT), "colour": "blue"}
    try:
        bundle.to_json(bundle.searchset("https://example.test/fhir", [broken]))
    except bundle.InvalidResource as exc:
        assert "colour" in str(exc)
    else:
        raise AssertionError("an unknown element must not validate")
