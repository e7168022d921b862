"""Redirects after a form post, only ever within the site."""

from __future__ import annotations

from fastapi.responses import RedirectResponse


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths, so a crafted link cannot bounce a nurse to another site after login."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return default


def redirect(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)
