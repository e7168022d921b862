"""Measurement codes: the internal key, LOINC, UCUM unit, plain names and physiologically possible ranges."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Code:
    key: str
    loinc: str
    unit: str  # UCUM
    name_en: str
    name_da: str
    possible: tuple[float, float]  # outside this range a value is physiologically impossible
    npu: str | None = None  # Danish NPU code where one is established
    # False for device-internal quantities (live cuff pressure, battery) that a decoder reports but that are
    # never stored as observations; they have no LOINC code.
    clinical: bool = True


# NPU codes are the ones listed in HL7 Denmark's DK Core value set "DK Core NPU Basic Observation"
# (http://hl7.dk/fhir/core/ValueSet/dk-core-NPUBasicObservation); None where that list has none.
_ALL = [
    Code("bp_systolic", "8480-6", "mm[Hg]", "Systolic blood pressure", "Systolisk blodtryk", (30, 300),
         npu="NPU57947"),
    Code("bp_diastolic", "8462-4", "mm[Hg]", "Diastolic blood pressure", "Diastolisk blodtryk", (10, 200),
         npu="NPU57948"),
    Code("bp_mean", "8478-0", "mm[Hg]", "Mean arterial pressure", "Middelblodtryk", (20, 250)),
    Code("pulse_rate", "8867-4", "/min", "Pulse", "Puls", (20, 250), npu="NPU21692"),
    Code("body_weight", "29463-7", "kg", "Body weight", "Vægt", (20, 350), npu="NPU03804"),
    Code("bmi", "39156-5", "kg/m2", "Body mass index", "BMI", (8, 90), npu="NPU27281"),
    Code("body_height", "8302-2", "m", "Body height", "Højde", (0.5, 2.6), npu="NPU03794"),
    Code("spo2", "59408-5", "%", "Oxygen saturation", "Iltmætning", (50, 100), npu="NPU27280"),
    Code("glucose", "14743-9", "mmol/L", "Blood glucose", "Blodsukker", (0.5, 40)),
    # HbA1c as a percentage of total haemoglobin (NGSP/DCCT), the unit the Glucose Measurement Context sends.
    Code("hba1c", "4548-4", "%", "HbA1c", "HbA1c", (3, 20)),
    Code("body_temp", "8310-5", "Cel", "Body temperature", "Temperatur", (30, 45), npu="NPU08676"),
    Code("fev1", "20150-9", "L", "FEV1", "FEV1", (0.1, 8)),
    Code("fvc", "19870-5", "L", "FVC", "FVC", (0.1, 10)),
    Code("fev1_fvc", "19926-5", "%", "FEV1/FVC", "FEV1/FVC", (10, 100)),
    Code("fev6", "68543-8", "L", "FEV6", "FEV6", (0.1, 10)),
    Code("pef", "33452-4", "L/min", "Peak flow", "Peak flow", (30, 1000)),
    # Device-internal quantities: shown live or used for kit health, never uploaded as observations.
    Code("cuff_pressure", "", "mm[Hg]", "Cuff pressure during measurement", "Manchettryk under måling",
         (0, 400), clinical=False),
    Code("battery_level", "", "%", "Device battery level", "Batteriniveau", (0, 100), clinical=False),
]

CODES: dict[str, Code] = {c.key: c for c in _ALL}
BY_LOINC: dict[str, Code] = {c.loinc: c for c in _ALL if c.loinc}


def by_loinc(loinc: str) -> Code | None:
    return BY_LOINC.get(loinc)
