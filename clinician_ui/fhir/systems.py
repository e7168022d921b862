"""Code systems, identifier systems and extension URLs used in the FHIR export."""

from __future__ import annotations

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
# NPU as the DK Core value set "DK Core NPU Basic Observation" names it.
NPU = "http://npu-terminology.org"
# ISO/IEEE 11073-10101 nomenclature, as the HL7 Personal Health Device IG codes device observations.
MDC = "urn:iso:std:iso:11073:10101"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"

# Core extensions (FHIR R4 extension registry).
EXT_GATEWAY_DEVICE = "http://hl7.org/fhir/StructureDefinition/observation-gatewayDevice"
EXT_FLAG_DETAIL = "http://hl7.org/fhir/StructureDefinition/flag-detail"

# nearcare's own systems. A deployment that publishes canonical URLs replaces this prefix in one place.
BASE = "urn:nearcare:fhir"
PATIENT_ID = f"{BASE}:patient-id"
ORGANISATION_ID = f"{BASE}:organisation-id"
DEVICE_ID = f"{BASE}:device-id"
GATEWAY_ID = f"{BASE}:gateway-id"
DEVICE_PROFILE = f"{BASE}:device-profile"
ALERT_ID = f"{BASE}:alert-id"
ALERT_RULE = f"{BASE}:CodeSystem:alert-rule"
MEASUREMENT_FLAG = f"{BASE}:CodeSystem:measurement-flag"
EXT_MEASUREMENT_FLAG = f"{BASE}:StructureDefinition:measurement-flag"
EXT_OBSERVATION_SOURCE = f"{BASE}:StructureDefinition:observation-source"
EXT_ALERT_SEVERITY = f"{BASE}:StructureDefinition:alert-severity"
EXT_ALERT_STATUS = f"{BASE}:StructureDefinition:alert-status"
EXT_ALERT_OUTCOME = f"{BASE}:StructureDefinition:alert-outcome"

# Blood pressure panel and its parts, with the MDC codes the PHD IG pairs them with (mean has none here).
BP_PANEL_LOINC = "85354-9"
BP_PANEL_MDC = ("150020", "MDC_PRESS_BLD_NONINV")
BP_COMPONENTS: dict[str, tuple[str, str] | None] = {
    "8480-6": ("150021", "MDC_PRESS_BLD_NONINV_SYS"),
    "8462-4": ("150022", "MDC_PRESS_BLD_NONINV_DIA"),
    "8478-0": None,
}

# Observation category by internal code key; spirometry gets none rather than a guessed one.
CATEGORY_BY_KEY: dict[str, str] = {
    "bp_systolic": "vital-signs", "bp_diastolic": "vital-signs", "bp_mean": "vital-signs",
    "pulse_rate": "vital-signs", "body_weight": "vital-signs", "bmi": "vital-signs",
    "body_height": "vital-signs", "spo2": "vital-signs", "body_temp": "vital-signs",
    "glucose": "laboratory",
}
