"""The clinician app fixtures, shared with the FHIR tests."""

from tests.clinician_ui.conftest import app_client, nurse, seeded

__all__ = ["app_client", "nurse", "seeded"]
