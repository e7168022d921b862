"""FHIR R4 export: pure mapping from our rows to resources, Bundle assembly and validation."""
