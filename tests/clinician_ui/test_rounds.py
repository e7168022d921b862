"""GP virtual rounds, reviews, and the diabetes summaries on the patient page."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from fastapi.testclient import TestClient

from clinician_ui import glucose
from tests.clinician_ui import seed
from tests.clinician_ui.conftest import login
from tests.clinician_ui.seed import World


def test_time_in_ranges_uses_the_consensus_cut_points() -> None:
    ranges = glucose.time_in_ranges([2.9, 3.0, 3.8, 3.9, 10.0, 10.1, 13.9, 14.0])
    assert ranges == {"very_low": 12.5, "low": 25.0, "in_range": 25.0, "high": 25.0, "very_high": 12.5}


def test_gmi_from_mean_glucose() -> None:
    # 154 mg/dL (8.55 mmol/L) is a GMI of 7.0 % in Bergenstal et al.'s table.
    assert glucose.gmi(154 / glucose.MG_PER_MMOL) == pytest.approx(6.99, abs=0.01)
    assert glucose.gmi(7.0) == pytest.approx(3.31 + 0.02392 * 7.0 * 18.016)


def test_daily_profile_pools_neighbouring_hours() -> None:
    base = datetime(2026, 3, 2, 7, 30, tzinfo=UTC)  # 08:30 in Copenhagen
    readings = [(base + timedelta(days=d), 5.0 + d) for d in range(10)]
    p = glucose.profile(readings)
    assert p.p50[8] == pytest.approx(9.5) and p.p50[7] == p.p50[9] == pytest.approx(9.5)
    assert p.p50[12] is None  # nothing measured around noon
    assert p.p5[8] is not None and p.p5[8] < p.p25[8] < p.p50[8] < p.p75[8] < p.p95[8]  # type: ignore[operator]


@pytest.fixture
def ward(database_url: str, seeded: World) -> dict[str, int]:
    """Four patients of the practice: a new red alert, a weight trend, no data, and one that is calm."""
    now = datetime.now(UTC)
    with psycopg.connect(database_url) as conn:
        red = seed.patient(conn, "Anna Rød", seeded.nursing_org, seeded.gp_org, ["heart_failure"])
        trend = seed.patient(conn, "Bent Vægt", seeded.nursing_org, seeded.gp_org, ["heart_failure"])
        silent = seed.patient(conn, "Carl Stille", seeded.nursing_org, seeded.gp_org, ["copd"])
        for day in range(28):
            at = now - timedelta(days=day, hours=2)
            seed.observation(conn, red, "8480-6", 130, "mm[Hg]", at)
            # Stable for three weeks, then 3 kg up in the last week.
            seed.observation(conn, trend, "29463-7", 80.0 + (3.0 if day < 7 else 0.0), "kg", at)
            if day >= 4:
                seed.observation(conn, silent, "59408-5", 93, "%", at)
        seed.alert(conn, red, opened_at=now - timedelta(hours=3))
        gp_id = conn.execute("SELECT id FROM users WHERE username = 'gp'").fetchone()[0]  # type: ignore[index]
        # Inger was reviewed an hour ago and nothing has happened since.
        conn.execute("INSERT INTO patient_reviews (patient_id, user_id, reviewed_at, note) VALUES (%s, %s, %s, %s)",
                     (seeded.patient_id, gp_id, now - timedelta(hours=1), "Stabil"))
    return {"red": red, "trend": trend, "silent": silent, "calm": seeded.patient_id}


def test_rounds_put_the_most_changed_first(app_client: TestClient, seeded: World, ward: dict[str, int]) -> None:
    login(app_client, "gp")
    rows = app_client.get("/api/rounds").json()
    order = [r["patient_id"] for r in rows]
    assert order == [ward["red"], ward["silent"], ward["trend"], ward["calm"]]
    by_id = {r["patient_id"]: r for r in rows}
    assert by_id[ward["red"]]["summary"].startswith("1 new alert (1 red)")
    [trend] = by_id[ward["trend"]]["trends"]
    assert trend["code"] == "body_weight" and trend["unit"] == "kg" and 2.0 <= trend["delta"] <= 3.0
    assert "Body weight ↑ +" in by_id[ward["trend"]]["summary"]
    assert by_id[ward["silent"]]["summary"] == "No readings for 4 days"
    assert by_id[ward["calm"]]["changed"] is False and by_id[ward["calm"]]["summary"].startswith("Nothing new since")
    assert seeded.other_patient_id not in order


def test_rounds_page_and_mark_reviewed(app_client: TestClient, database_url: str, seeded: World,
                                       ward: dict[str, int]) -> None:
    csrf = login(app_client, "gp")
    html = app_client.get("/rounds").text
    assert "Virtual rounds" in html and "3 of 4 patients have changes" in html
    assert html.index("Anna Rød") < html.index("Carl Stille") < html.index("Bent Vægt") < html.index("Inger Jensen")
    response = app_client.post(f"/patients/{ward['red']}/reviews",
                               data={"csrf_token": csrf, "note": "Ringer i morgen", "next": "/rounds"},
                               follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/rounds"
    rows = {r["patient_id"]: r for r in app_client.get("/api/rounds").json()}
    assert rows[ward["red"]]["changed"] is False  # the alert was before the review
    api = app_client.post(f"/api/patients/{ward['trend']}/reviews", json={"note": "Øget vanddrivende"},
                          headers={"X-CSRF-Token": csrf})
    assert api.status_code == 201
    with psycopg.connect(database_url) as conn:
        notes = conn.execute("SELECT note FROM patient_reviews ORDER BY id").fetchall()
        audited = conn.execute("SELECT patient_id FROM audit_log WHERE action = 'patient.review' ORDER BY id"
                               ).fetchall()
    assert [n[0] for n in notes] == ["Stabil", "Ringer i morgen", "Øget vanddrivende"]
    assert [a[0] for a in audited] == [ward["red"], ward["trend"]]
    page = app_client.get(f"/patients/{ward['trend']}").text
    assert "Last reviewed by Dr. Lars Læge" in page and "Øget vanddrivende" in page


def test_patient_page_has_alert_markers_and_glucose_summaries(app_client: TestClient, database_url: str,
                                                              seeded: World) -> None:
    now = datetime.now(UTC)
    with psycopg.connect(database_url) as conn:
        karl = seed.patient(conn, "Karl Nielsen", seeded.nursing_org, seeded.gp_org, ["diabetes"])
        values = [5.5, 7.2, 9.8, 12.0, 6.1, 3.5, 14.5, 8.0]
        for day in range(14):
            for slot, hour in enumerate((7, 12, 18, 22)):
                at = (now - timedelta(days=day)).replace(hour=hour, minute=0, second=0, microsecond=0)
                if at < now:
                    seed.observation(conn, karl, "14743-9", values[(day + slot) % len(values)], "mmol/L", at)
        alert_at = now - timedelta(days=2)
        seed.alert(conn, karl, code="glucose", loinc="14743-9", value=2.8, bound=3.0, unit="mmol/L",
                   observed_at=alert_at)
    login(app_client, "gp")
    html = app_client.get(f"/patients/{karl}?days=7").text
    data = json.loads(re.search(r'id="chart-data">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    chart = next(c for c in data["charts"] if c["loinc"] == "14743-9")
    assert chart["markers"] == [[int(alert_at.timestamp() * 1000), "red", "open"]]
    agp = data["agp"]
    assert len(agp["p50"]) == 24 and agp["p50"][12] is not None and agp["p50"][3] is None
    assert agp["target"] == [3.9, 10.0]
    assert 'id="agp-chart"' in html and "Time in ranges" in html and 'class="tir-bar"' in html
    gmi = re.search(r'<dd id="gmi">([^<]*)</dd>', html)
    assert gmi and re.fullmatch(r"\d\.\d% · \d+ mmol/mol", gmi.group(1)), gmi
    assert "finger-prick readings" in html
    # No glucose, no diabetes section.
    assert 'id="agp-chart"' not in app_client.get(f"/patients/{seeded.patient_id}").text


def test_another_organisation_gets_no_rounds_or_reviews(app_client: TestClient, database_url: str,
                                                        seeded: World, ward: dict[str, int]) -> None:
    csrf = login(app_client, "outsider")
    assert [r["patient_id"] for r in app_client.get("/api/rounds").json()] == [seeded.other_patient_id]
    assert "Anna Rød" not in app_client.get("/rounds").text
    for pid in ward.values():
        assert app_client.post(f"/api/patients/{pid}/reviews", json={"note": "x"},
                               headers={"X-CSRF-Token": csrf}).status_code == 404
        assert app_client.post(f"/patients/{pid}/reviews", data={"csrf_token": csrf},
                               follow_redirects=False).status_code == 404
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT count(*) FROM patient_reviews").fetchone() == (1,)
