"""Headless Chromium on the later screens: triage tools, GP rounds, the AGP profile, admin and the patient view."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from tests.clinician_ui import seed
from tests.clinician_ui.seed import World
from tests.clinician_ui.test_browser import _sign_in, base_url, browser  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


def _watch(page: object) -> list[str]:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: problems.append(str(e)))  # type: ignore[attr-defined]
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}")  # type: ignore[attr-defined]
            if r.status >= 400 else None)
    return problems


def test_triage_rows_with_sparklines_hand_over_and_kit_problems(base_url: str, browser: object,  # noqa: F811
                                                                database_url: str, seeded: World,
                                                                artifacts_dir: Path) -> None:
    now = datetime.now(UTC)
    with psycopg.connect(database_url) as conn:
        seed.user(conn, "mette", "nurse", seeded.nursing_org, "Mette Kollega")
        karl = seed.patient(conn, "Karl Nielsen", seeded.nursing_org, seeded.gp_org, ["diabetes"], 1951)
        for day in range(12):
            seed.observation(conn, karl, "14743-9", 6.8 - day * 0.3, "mmol/L", now - timedelta(days=11 - day))
        seed.alert(conn, karl, code="glucose", loinc="14743-9", value=2.7, bound=3.0, unit="mmol/L",
                   opened_at=now - timedelta(minutes=50))
        red = seed.alert(conn, seeded.patient_id)
        seed.alert(conn, seeded.patient_id, code="spo2", loinc="59408-5", severity="yellow", value=90, bound=91,
                   unit="%", opened_at=now - timedelta(hours=2))
        seed.kit(conn, "gw-inger", seeded.patient_id, online=False, last_seen=now - timedelta(hours=7))
        seed.kit(conn, "gw-karl", karl, last_seen=now - timedelta(minutes=2),
                 devices={"aa": {"battery": 9, "name": "Blodsukkermåler"}})
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="da-DK")  # type: ignore[attr-defined]
    page = context.new_page()
    problems = _watch(page)
    _sign_in(page, base_url, "nurse")
    page.wait_for_selector('#live-status[data-state="connected"]', timeout=5000)
    page.wait_for_selector("canvas.spark[data-drawn=true]", timeout=3000)
    assert page.locator("canvas.spark[data-drawn=true]").count() == 3
    page.screenshot(path=str(artifacts_dir / "clinician_triage_tools.png"), full_page=True)
    page.click(f"#alert-{red} .handover summary")
    page.select_option(f"#assignee-{red}", label="Mette Kollega")
    page.click(f"#alert-{red} form.assign button")
    page.wait_for_selector(f"#alert-{red} .responsible", timeout=3000)
    assert "Ansvarlig: Mette Kollega" in page.inner_text(f"#alert-{red}")
    page.screenshot(path=str(artifacts_dir / "clinician_triage_assigned.png"), full_page=True)
    assert not problems, problems
    context.close()


def test_gp_rounds_and_the_glucose_profile(base_url: str, browser: object, database_url: str,  # noqa: F811
                                           seeded: World, artifacts_dir: Path) -> None:
    now = datetime.now(UTC)
    with psycopg.connect(database_url) as conn:
        karl = seed.patient(conn, "Karl Nielsen", seeded.nursing_org, seeded.gp_org, ["diabetes"], 1951)
        bent = seed.patient(conn, "Bent Vægt", seeded.nursing_org, seeded.gp_org, ["heart_failure"], 1940)
        carl = seed.patient(conn, "Carl Stille", seeded.nursing_org, seeded.gp_org, ["copd"], 1936)
        pattern = {7: [6.2, 7.5, 5.1, 8.0, 3.6], 12: [9.5, 11.2, 8.1, 12.9, 7.4], 18: [10.5, 14.8, 8.9, 12.0, 9.7],
                   22: [7.9, 9.1, 6.5, 11.0, 2.8]}
        for day in range(30):
            for hour, vals in pattern.items():
                at = (now - timedelta(days=day)).replace(hour=hour - 1, minute=day % 50, second=0, microsecond=0)
                if at < now:
                    seed.observation(conn, karl, "14743-9", vals[day % len(vals)], "mmol/L", at)
            at = now - timedelta(days=day, hours=2)
            seed.observation(conn, bent, "29463-7", 80.0 + (3.0 if day < 5 else 0.0) + (day % 3) * 0.2, "kg", at)
            if day >= 3:
                seed.observation(conn, carl, "59408-5", 93, "%", at)
        seed.alert(conn, karl, code="glucose", loinc="14743-9", value=2.8, bound=3.0, unit="mmol/L",
                   observed_at=(now - timedelta(days=3)).replace(hour=21), opened_at=now - timedelta(days=3))
        seed.alert(conn, bent, code="body_weight", loinc="29463-7", severity="yellow", value=83.4, bound=82.0,
                   unit="kg", observed_at=now - timedelta(hours=2), rule="hf_weight")
    context = browser.new_context(viewport={"width": 1024, "height": 768})  # type: ignore[attr-defined]
    page = context.new_page()
    problems = _watch(page)
    _sign_in(page, base_url, "gp")
    page.goto(f"{base_url}/rounds")
    page.wait_for_selector("ol.rounds")
    names = page.eval_on_selector_all("ol.rounds > li .patient", "els => els.map(e => e.textContent)")
    assert names[:3] == ["Karl Nielsen", "Bent Vægt", "Carl Stille"], names
    page.screenshot(path=str(artifacts_dir / "clinician_rounds.png"), full_page=True)

    page.click(f"#round-{karl} .patient")
    page.wait_for_selector('#agp-chart[data-rendered="true"]', timeout=5000)
    page.wait_for_selector('canvas[data-chart="14743-9"][data-rendered="true"]', timeout=5000)
    # The median line is drawn over the shaded percentile bands: sample the band at noon.
    colour = page.evaluate("""() => {
        const canvas = document.getElementById('agp-chart');
        const chart = Chart.getChart(canvas);
        const h = 12, y = chart.data.datasets[3].data[h].y, x = chart.scales.x.getPixelForValue(h);
        const py = chart.scales.y.getPixelForValue(y - 0.2) * window.devicePixelRatio;
        return Array.from(canvas.getContext('2d').getImageData(x * window.devicePixelRatio, py, 1, 1).data);
    }""")
    page.locator("#glucose").screenshot(path=str(artifacts_dir / "clinician_agp.png"))
    page.screenshot(path=str(artifacts_dir / "clinician_patient_diabetes.png"), full_page=True)
    red, _green, blue, alpha = colour
    assert alpha > 0 and blue > red, colour
    assert page.locator(".tir-item").count() == 5

    page.fill("#review-note", "Insulin justeret")
    page.click("#reviews button[type=submit]")
    page.wait_for_selector(".notice-line.is-ok")
    page.goto(f"{base_url}/rounds")
    names = page.eval_on_selector_all("ol.rounds > li .patient", "els => els.map(e => e.textContent)")
    assert (names[0] == "Bent Vægt" and names[-1] == "Karl Nielsen") or "Karl Nielsen" not in names[:2], names
    assert not problems, problems
    context.close()


def test_admin_and_the_patient_view(base_url: str, browser: object, database_url: str,  # noqa: F811
                                    seeded: World, artifacts_dir: Path) -> None:
    now = datetime.now(UTC)
    with psycopg.connect(database_url) as conn:
        seed.user(conn, "admin", "admin", seeded.nursing_org, "Anne Admin")
        seed.kit(conn, "gw-inger", seeded.patient_id, online=False, last_seen=now - timedelta(hours=20),
                 devices={"a": {"battery": 11, "name": "blodtryksmåler"}}, outbox_depth=12)
        seed.kit(conn, "gw-spare", None)
        conn.execute("UPDATE gateways SET organisation_id = %s", (seeded.nursing_org,))
        conn.execute("INSERT INTO quarantine (topic, payload, reason) VALUES (%s, %s, %s)",
                     ("nearcare/v1/gw/gw-inger/obs", b"{}", "unknown code 1234-5"))
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="da-DK")  # type: ignore[attr-defined]
    page = context.new_page()
    problems = _watch(page)
    _sign_in(page, base_url, "admin")
    page.goto(f"{base_url}/admin/patients/{seeded.patient_id}")
    page.select_option("#o-code", "spo2")
    page.fill("#o-red_low", "86")
    page.fill("#o-yellow_low", "84")
    page.click(".override-form button[type=submit]")
    page.wait_for_selector("#o-red_low-err")
    page.fill("#o-yellow_low", "89")
    page.fill("#o-reason", "Habituel iltmætning 88–90 % (KOL)")
    page.click(".override-form button[type=submit]")
    page.wait_for_selector(".override-history .is-active")
    page.fill("#l-username", "inger")
    page.fill("#l-password", "correct horse battery")
    page.click("#login button[type=submit]")
    page.wait_for_selector("#login li")
    page.screenshot(path=str(artifacts_dir / "clinician_admin_patient.png"), full_page=True)
    page.goto(f"{base_url}/admin/kits")
    page.screenshot(path=str(artifacts_dir / "clinician_admin_kits.png"), full_page=True)
    problems.clear()  # the 422 of the wrong limits above is expected

    _sign_in(page, base_url, "nurse")
    page.goto(f"{base_url}/patients/{seeded.patient_id}#messages")
    page.fill("#message-body", "Jeg kommer torsdag kl. 10 og ser på din blodtryksmåler. Hilsen Hanne")
    page.click("#messages button[type=submit]")
    page.wait_for_selector(".messages-list li")

    home = browser.new_context(viewport={"width": 390, "height": 844}, locale="da-DK")  # type: ignore[attr-defined]
    phone = home.new_page()
    home_problems = _watch(phone)
    _sign_in(phone, base_url, "inger")
    phone.wait_for_url(f"{base_url}/me")
    assert "Din hjemmeboks har ikke været i kontakt siden" in phone.inner_text("#kit")
    assert "Hilsen Hanne" in phone.inner_text("#messages")
    font = phone.evaluate("() => getComputedStyle(document.querySelector('.home-card p')).fontSize")
    assert float(font.removesuffix("px")) >= 20, font
    phone.screenshot(path=str(artifacts_dir / "patient_home_phone.png"), full_page=True)
    assert not problems and not home_problems, (problems, home_problems)
    context.close()
    home.close()
