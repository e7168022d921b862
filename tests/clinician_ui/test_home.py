"""The patient's own page and the relatives a patient grants; nurses' messages to it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient

from tests.clinician_ui import seed
from tests.clinician_ui.conftest import login
from tests.clinician_ui.seed import PASSWORD, World


def _form_login(client: TestClient, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    client.cookies.clear()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token.group(1),
                                       "next": "/"})


def _csrf(html: str) -> str:
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
    assert found
    return found.group(1)


@pytest.fixture
def inger_login(app_client: TestClient, database_url: str, seeded: World) -> None:
    """An admin makes Inger's login; her kit has been silent since this morning; her nurse wrote to her."""
    with psycopg.connect(database_url) as conn:
        seed.user(conn, "admin", "admin", seeded.nursing_org, "Anne Admin")
        seed.kit(conn, "gw-inger", seeded.patient_id, online=False,
                 last_seen=datetime.now(UTC) - timedelta(hours=5), devices={"a": {"battery": 8, "name": "vægt"}})
    csrf = login(app_client, "admin")
    response = app_client.post(f"/admin/patients/{seeded.patient_id}/login", data={
        "csrf_token": csrf, "name": "Inger Jensen", "username": "inger", "password": "kort"})
    assert response.status_code == 422 and "mindst 10 tegn" in response.text
    response = app_client.post(f"/admin/patients/{seeded.patient_id}/login", data={
        "csrf_token": csrf, "name": "Inger Jensen", "username": "inger", "password": PASSWORD},
        follow_redirects=False)
    assert response.status_code == 303
    csrf = login(app_client, "nurse")
    assert app_client.post(f"/patients/{seeded.patient_id}/messages",
                           data={"csrf_token": csrf, "body": "Jeg kommer torsdag kl. 10. Hilsen Hanne"},
                           follow_redirects=False).status_code == 303
    app_client.cookies.clear()


def test_patient_sees_her_own_page_in_plain_words(app_client: TestClient, database_url: str, seeded: World,
                                                  inger_login: None) -> None:
    page = _form_login(app_client, "inger")
    assert page.url.path == "/me", page.url  # the start page sends a patient to her own page
    html = page.text
    assert 'class="home-view"' in html and "Hej Inger" in html
    assert "Din hjemmeboks har ikke været i kontakt siden i dag" in html
    assert "Tjek at den er sat i stikkontakten" in html
    assert "Batteriet i din vægt er næsten fladt" in html
    assert "Jeg kommer torsdag kl. 10. Hilsen Hanne" in html and "Fra Hanne Sygeplejerske" in html
    assert "Systolisk blodtryk" in html and "Vægt" in html
    assert "RØD" not in html and "Kvittér" not in html  # no clinician vocabulary
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT read_at IS NOT NULL FROM messages").fetchone() == (True,)
        assert conn.execute("SELECT count(*) FROM audit_log WHERE action = 'home.view' AND patient_id = %s",
                            (seeded.patient_id,)).fetchone() == (1,)
    # The nurse sees that it was read.
    login(app_client, "nurse")
    assert "læst" in app_client.get(f"/patients/{seeded.patient_id}").text


def test_patient_stays_on_her_own_page(app_client: TestClient, seeded: World, inger_login: None) -> None:
    _form_login(app_client, "inger")
    for path in ("/", "/patients", f"/patients/{seeded.patient_id}", "/rounds"):
        response = app_client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/me", path
    assert app_client.get("/admin", follow_redirects=False).status_code == 303
    assert app_client.get("/api/patients").status_code == 403
    assert app_client.get(f"/me?patient={seeded.other_patient_id}").status_code == 404
    # Clinicians have no patient page of their own.
    login(app_client, "nurse")
    assert app_client.get("/me").status_code == 403


def test_a_relative_the_patient_grants_sees_the_same(app_client: TestClient, database_url: str, seeded: World,
                                                     inger_login: None) -> None:
    html = _form_login(app_client, "inger").text
    csrf = _csrf(html)
    bad = app_client.post("/me/relatives", data={"csrf_token": csrf, "name": "", "username": "X", "password": "x"})
    assert bad.status_code == 422 and 'id="h-username-err"' in bad.text and 'id="h-password-err"' in bad.text
    ok = app_client.post("/me/relatives", data={"csrf_token": csrf, "name": "Lone Datter", "username": "lone",
                                                "password": PASSWORD}, follow_redirects=False)
    assert ok.status_code == 303
    with psycopg.connect(database_url) as conn:
        role, = conn.execute("SELECT role FROM users WHERE username = 'lone'").fetchone()  # type: ignore[misc]
    assert role == "relative"

    html = _form_login(app_client, "lone").text
    assert "Side for Inger Jensen" in html and "Jeg kommer torsdag" in html
    assert "Giv en pårørende adgang" not in html  # only the patient decides
    assert app_client.post("/me/relatives", data={"csrf_token": _csrf(html), "name": "X", "username": "xxx",
                                                  "password": PASSWORD}).status_code == 404
    with psycopg.connect(database_url) as conn:
        lone = conn.execute("SELECT id FROM users WHERE username = 'lone'").fetchone()[0]  # type: ignore[index]
        # A relative reading does not mark the patient's messages read.
        conn.execute("UPDATE messages SET read_at = NULL")

    html = _form_login(app_client, "inger").text
    assert "Lone Datter" in html
    assert app_client.post(f"/me/relatives/{lone}/revoke", data={"csrf_token": _csrf(html)},
                           follow_redirects=False).status_code == 303
    _form_login(app_client, "lone")
    assert app_client.get("/me").status_code == 404
    with psycopg.connect(database_url) as conn:
        actions = [r[0] for r in conn.execute("SELECT action FROM audit_log WHERE action LIKE 'home.relative.%'"
                                              " ORDER BY id").fetchall()]
    assert actions == ["home.relative.grant", "home.relative.revoke"]


def test_messages_only_within_the_organisation(app_client: TestClient, database_url: str, seeded: World) -> None:
    csrf = login(app_client, "nurse")
    response = app_client.post(f"/api/patients/{seeded.patient_id}/messages", json={"body": "Husk at veje dig"},
                               headers={"X-CSRF-Token": csrf})
    assert response.status_code == 201
    csrf = login(app_client, "outsider")
    assert app_client.post(f"/api/patients/{seeded.patient_id}/messages", json={"body": "x"},
                           headers={"X-CSRF-Token": csrf}).status_code == 404
    assert app_client.post(f"/patients/{seeded.patient_id}/messages", data={"csrf_token": csrf, "body": "x"},
                           follow_redirects=False).status_code == 404
    assert app_client.post(f"/admin/patients/{seeded.patient_id}/login", data={
        "csrf_token": csrf, "name": "x", "username": "xyz", "password": PASSWORD}).status_code == 403
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM messages").fetchone() == (1,)
