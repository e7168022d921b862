"""Server-rendered pages: login form, triage, patients and the patient page; CSP-safe markup."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import psycopg
from fastapi.testclient import TestClient

from tests.clinician_ui import seed
from tests.clinician_ui.conftest import login
from tests.clinician_ui.seed import PASSWORD, World


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.handlers: list[str] = []
        self.styles = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts.append(dict(attrs))
        if tag == "style":
            self.styles += 1
        self.handlers += [name for name, _ in attrs if name.startswith("on") or name == "style"]


def assert_csp_safe(html: str) -> None:
    """Under `default-src 'self'` no inline script, handler or style can run."""
    parser = _Scripts()
    parser.feed(html)
    for attrs in parser.scripts:
        assert attrs.get("src", "").startswith("/static/") or attrs.get("type") == "application/json", attrs
    assert parser.handlers == [] and parser.styles == 0
    assert "http://" not in html and "https://" not in html  # nothing from a CDN


def _form_login(client: TestClient, username: str, password: str, next_url: str = "/"):  # type: ignore[no-untyped-def]
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token.group(1),
                                       "next": next_url}, follow_redirects=False)


def test_login_form_in_danish_with_csrf(app_client: TestClient) -> None:
    page = app_client.get("/login")
    assert page.status_code == 200
    assert '<html lang="da">' in page.text and "Adgangskode" in page.text
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert_csp_safe(page.text)
    response = _form_login(app_client, "nurse", PASSWORD)
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert "nearcare_session=" in response.headers["set-cookie"]
    assert app_client.get("/").status_code == 200


def test_login_form_errors_are_shown_next_to_the_field(app_client: TestClient) -> None:
    response = _form_login(app_client, "nurse", "forkert")
    assert response.status_code == 401
    assert 'id="login-error"' in response.text and "Forkert brugernavn eller adgangskode" in response.text
    assert 'value="nurse"' in response.text  # the username is kept
    forged = app_client.post("/login", data={"username": "nurse", "password": PASSWORD, "csrf_token": "x"})
    assert forged.status_code == 403 and "nearcare_session" not in forged.headers.get("set-cookie", "")
    for _ in range(4):
        _form_login(app_client, "nurse", "forkert")
    throttled = _form_login(app_client, "nurse", PASSWORD)
    assert throttled.status_code == 429 and "For mange forkerte forsøg" in throttled.text


def test_login_redirects_only_within_the_site(app_client: TestClient) -> None:
    assert _form_login(app_client, "nurse", PASSWORD, "//evil.example/").headers["location"] == "/"


def test_triage_page_lists_alerts_worst_first(app_client: TestClient, database_url: str, seeded: World) -> None:
    with psycopg.connect(database_url) as conn:
        seed.alert(conn, seeded.patient_id, code="spo2", loinc="59408-5", severity="yellow", value=92, bound=93,
                   unit="%")
        seed.alert(conn, seeded.patient_id)
    login(app_client, "nurse")
    page = app_client.get("/")
    assert page.status_code == 200
    assert_csp_safe(page.text)
    html = page.text
    assert html.index('data-severity="red"') < html.index('data-severity="yellow"')
    assert "RØD" in html and "GUL" in html  # severity in words, not colour alone
    assert "Systolisk blodtryk 186 mmHg er over den røde grænse 179." in html
    assert "Kvittér" in html and 'src="/static/triage.js"' in html
    assert page.headers["cache-control"] == "no-store"


def test_acknowledge_by_form_without_javascript(app_client: TestClient, database_url: str, seeded: World) -> None:
    with psycopg.connect(database_url) as conn:
        alert_id = seed.alert(conn, seeded.patient_id)
    csrf = login(app_client, "nurse")
    response = app_client.post(f"/alerts/{alert_id}/acknowledge",
                               data={"csrf_token": csrf, "note": "Besøg kl. 15", "next": "/"}, follow_redirects=False)
    assert response.status_code == 303
    page = app_client.get("/").text
    assert "Set af Hanne Sygeplejerske" in page and "Besøg kl. 15" in page
    response = app_client.post(f"/alerts/{alert_id}/resolve",
                               data={"csrf_token": csrf, "outcome": "home_visit"}, follow_redirects=False)
    assert response.status_code == 303
    assert "Ingen åbne alarmer" in app_client.get("/").text


def test_patient_page_has_charts_with_bands(app_client: TestClient, seeded: World) -> None:
    login(app_client, "gp")  # the GP reads in English
    page = app_client.get(f"/patients/{seeded.patient_id}?days=7")
    assert page.status_code == 200
    assert_csp_safe(page.text)
    assert '<html lang="en">' in page.text and "Systolic blood pressure" in page.text
    data = json.loads(re.search(r'<script type="application/json" id="chart-data">(.*?)</script>', page.text,
                                re.S).group(1))  # type: ignore[union-attr]
    charts = {c["loinc"]: c for c in data["charts"]}
    assert list(charts) == ["8480-6", "59408-5", "29463-7"]
    assert len(charts["8480-6"]["points"]) == 7
    # Heart failure + COPD: SpO2 follows the COPD ranges.
    assert charts["59408-5"]["bands"] == {"red_low": 88, "yellow_low": 91, "yellow_high": None, "red_high": None}
    assert charts["8480-6"]["bands"]["red_high"] == 179
    assert 'src="/static/vendor/chart.umd.min.js"' in page.text


def test_patients_page_and_language_switch(app_client: TestClient, seeded: World) -> None:
    csrf = login(app_client, "nurse")
    page = app_client.get("/patients")
    assert "Inger Jensen" in page.text and "Hjertesvigt, KOL" in page.text
    app_client.post("/locale", data={"csrf_token": csrf, "locale": "en", "next": "/patients"})
    page = app_client.get("/patients")
    assert '<html lang="en">' in page.text and "Heart failure, COPD" in page.text


def test_static_assets_are_served_locally(app_client: TestClient) -> None:
    for path in ("/static/app.css", "/static/triage.js", "/static/patient.js", "/static/vendor/chart.umd.min.js"):
        assert app_client.get(path).status_code == 200, path


def test_unknown_patient_page_is_a_friendly_404(app_client: TestClient) -> None:
    login(app_client, "nurse")
    page = app_client.get("/patients/999999")
    assert page.status_code == 404 and "Siden findes ikke" in page.text
