"""Headless Chromium: a live alert reaches the nurse's triage page and is acknowledged; a GP reads the charts."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import uvicorn

from clinician_ui import create_app
from nearcare.ports import free_port
from tests.clinician_ui import seed
from tests.clinician_ui.seed import PASSWORD, World

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]


@pytest.fixture
def base_url(database_url: str, seeded: World) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(create_app(database_url, secure_cookies=False), host="127.0.0.1", port=port,
                            log_level="warning", timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)
    assert not thread.is_alive(), "server did not shut down cleanly"


@pytest.fixture
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed (apt-get install -y chromium)")
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


def _more_patients(database_url: str, world: World) -> None:
    """A morning's queue: a few patients, red and yellow alerts of different ages."""
    now = datetime.now(UTC)
    with psycopg.connect(database_url) as conn:
        karl = seed.patient(conn, "Karl Nielsen", world.nursing_org, world.gp_org, ["diabetes"], 1951)
        else_ = seed.patient(conn, "Else Mortensen", world.nursing_org, world.gp_org, ["copd"], 1938)
        seed.alert(conn, karl, code="glucose", loinc="14743-9", value=2.7, bound=3.0, unit="mmol/L",
                   opened_at=now - timedelta(minutes=50), observed_at=now - timedelta(minutes=52))
        seed.alert(conn, else_, code="spo2", loinc="59408-5", severity="yellow", value=90, bound=91, unit="%",
                   opened_at=now - timedelta(hours=3), observed_at=now - timedelta(hours=3, minutes=4))
        for day in range(10):
            seed.observation(conn, karl, "14743-9", 6.5 + day % 4, "mmol/L", now - timedelta(days=day, hours=1))


def _sign_in(page: object, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login")  # type: ignore[attr-defined]
    page.fill("#username", username)  # type: ignore[attr-defined]
    page.fill("#password", PASSWORD)  # type: ignore[attr-defined]
    page.click("button[type=submit]")  # type: ignore[attr-defined]


def test_nurse_sees_a_new_alert_live_and_acknowledges_it(base_url: str, browser: object, database_url: str,
                                                         seeded: World, artifacts_dir: Path) -> None:
    _more_patients(database_url, seeded)
    context = browser.new_context(viewport={"width": 1024, "height": 768}, locale="da-DK")  # type: ignore[attr-defined]
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    page.goto(f"{base_url}/login")
    page.fill("#username", "nurse")
    page.fill("#password", "forkert")
    page.click("button[type=submit]")
    assert "Forkert brugernavn eller adgangskode" in page.inner_text("#login-error")
    page.screenshot(path=str(artifacts_dir / "clinician_login_error.png"))
    problems.clear()  # the 401 of the wrong password above is expected

    _sign_in(page, base_url, "nurse")
    page.wait_for_selector('#live-status[data-state="connected"]', timeout=5000)
    assert page.locator('[data-list="open"] > li').count() == 2

    with psycopg.connect(database_url) as conn:
        alert_id = seed.alert(conn, seeded.patient_id, notify=True)
    started = time.monotonic()
    row = page.wait_for_selector(f'[data-list="open"] #alert-{alert_id}', timeout=2000)
    assert time.monotonic() - started < 2.0
    assert row is not None
    # Red, and older reds first: the new red comes after Karl's (50 min old), before the yellow.
    ids = page.eval_on_selector_all('[data-list="open"] > li', "els => els.map(e => e.dataset.alertId)")
    assert ids.index(str(alert_id)) == 1 and len(ids) == 3
    assert page.locator('[data-count-for="open"]').inner_text() == "3"
    page.screenshot(path=str(artifacts_dir / "clinician_triage_new_alert.png"))

    page.fill(f"#note-{alert_id}", "Ringer til Inger nu")
    page.click(f"#alert-{alert_id} button[type=submit]")
    page.wait_for_selector(f'[data-list="acknowledged"] #alert-{alert_id}', timeout=3000)
    assert "Ringer til Inger nu" in page.inner_text(f"#alert-{alert_id}")
    page.screenshot(path=str(artifacts_dir / "clinician_triage_acknowledged.png"), full_page=True)
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT status, ack_note FROM alerts WHERE id = %s", (alert_id,)).fetchone() == (
            "acknowledged", "Ringer til Inger nu")
    page.set_viewport_size({"width": 768, "height": 1024})  # tablet, portrait
    page.screenshot(path=str(artifacts_dir / "clinician_triage_portrait.png"), full_page=True)
    page.click("text=Borgere")
    page.wait_for_selector("table.patients")
    page.screenshot(path=str(artifacts_dir / "clinician_patients.png"), full_page=True)
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    assert not problems, problems
    context.close()


def test_gp_reads_the_trend_charts(base_url: str, browser: object, database_url: str, seeded: World,
                                   artifacts_dir: Path) -> None:
    with psycopg.connect(database_url) as conn:
        seed.alert(conn, seeded.patient_id, code="spo2", loinc="59408-5", severity="yellow", value=90, bound=91,
                   unit="%")
        seed.observation(conn, seeded.patient_id, "59408-5", 87, "%", datetime.now(UTC)
                         - timedelta(hours=1))
    context = browser.new_context(viewport={"width": 1024, "height": 768})  # type: ignore[attr-defined]
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)

    _sign_in(page, base_url, "gp")
    page.goto(f"{base_url}/patients/{seeded.patient_id}")
    page.wait_for_selector('canvas[data-chart="59408-5"][data-rendered="true"]', timeout=5000)
    assert page.locator("canvas[data-rendered=true]").count() == 3
    # Sample the SpO2 chart just inside its red range (below 88 %): the shading must be there.
    colour = page.evaluate("""() => {
        const canvas = document.querySelector('canvas[data-chart="59408-5"]');
        const chart = Chart.getChart(canvas);
        const y = chart.scales.y, area = chart.chartArea;
        const py = y.getPixelForValue((y.min + 88) / 2) * window.devicePixelRatio;
        const px = (area.left + 3) * window.devicePixelRatio;
        return Array.from(canvas.getContext('2d').getImageData(px, py, 1, 1).data);
    }""")
    red, green, blue, alpha = colour
    assert alpha > 0 and red > green and red > blue, colour
    page.screenshot(path=str(artifacts_dir / "clinician_patient_charts.png"), full_page=True)
    page.goto(f"{base_url}/patients/{seeded.patient_id}?days=90")
    page.wait_for_selector("canvas[data-rendered=true]", timeout=5000)
    assert not problems, problems
    context.close()
