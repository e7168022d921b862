"""Domain errors the routes turn into HTTP answers."""

from __future__ import annotations


class LoginRequired(Exception):
    """No valid session: pages redirect to the login page, the API answers 401."""


class NotFound(Exception):
    """Absent or outside the user's organisation; both look the same from outside (404)."""


class Conflict(Exception):
    """The alert is not in a state that allows this change (e.g. already acknowledged)."""
