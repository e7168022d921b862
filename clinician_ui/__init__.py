"""The clinician web app: login, nurse triage, patient trends and the HTTP/websocket API."""

from clinician_ui.app import create_app

__all__ = ["create_app"]
