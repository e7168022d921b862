"""`nearcare bench web`: server time of the triage page and a patient page on a year of readings.

Builds a fresh database (2,000 patients × 1 year by default) on NEARCARE_DATABASE_URL's server or on the
embedded PostgreSQL, loads it with COPY, then times in-process ASGI requests (no network) and writes the
figures to docs/benchmarks.md under "## Web"."""

from __future__ import annotations

import contextlib
import io
import math
import platform
import random
import re
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

import psycopg
import typer

from clinician_ui.passwords import hash_password
from ingest.migrate import migrate

PASSWORD = "bench-password-1"
NURSING_TEAMS = 10
GP_PRACTICES = 50
# (LOINC, unit, mean, spread) per measurement; every patient measures blood pressure and pulse each morning.
Measure = tuple[str, str, float, float]
_DAILY: list[Measure] = [("8480-6", "mm[Hg]", 138, 12), ("8462-4", "mm[Hg]", 82, 8), ("8867-4", "/min", 72, 9)]
_BY_PROGRAMME: dict[str, list[Measure]] = {
    "heart_failure": [("29463-7", "kg", 82, 0.8)],
    "copd": [("59408-5", "%", 93, 2)],
    "diabetes": [("14743-9", "mmol/L", 8, 2.5)] * 3,  # before meals
}
_PROGRAMME_SETS = [["heart_failure"], ["copd"], ["diabetes"], ["heart_failure", "copd"], ["diabetes", "copd"]]


@dataclass(frozen=True)
class Figures:
    name: str
    p50_ms: float
    p95_ms: float
    max_ms: float
    n: int


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def _rows(patients: int, days: int, now: datetime, rng: random.Random) -> Iterator[str]:
    """Observation rows for COPY, as tab-separated text."""
    start = (now - timedelta(days=days)).replace(hour=6, minute=0, second=0, microsecond=0)
    for pid in range(1, patients + 1):
        codes = _DAILY + [c for prog in _PROGRAMME_SETS[pid % len(_PROGRAMME_SETS)] for c in _BY_PROGRAMME[prog]]
        for day in range(days):
            morning = start + timedelta(days=day, minutes=rng.randrange(180))
            for n, (loinc, unit, mean, spread) in enumerate(codes):
                at = morning + timedelta(hours=4 * n if loinc == "14743-9" else 0, seconds=n)
                if at > now:
                    continue
                value = round(rng.gauss(mean, spread), 1)
                yield f"{uuid.uuid4()}\t{pid}\t{loinc}\t{value}\t{unit}\t{at.isoformat()}\t{at.isoformat()}\n"


def build(url: str, patients: int, days: int, seed: int = 7) -> int:
    """Organisations, users, patients, kits, a year of readings and alerts; returns the number of readings."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    digest = hash_password(PASSWORD)
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO organisations (name, kind) SELECT 'Nursing team ' || n, 'nursing_team'"
                     " FROM generate_series(1, %s) n", (NURSING_TEAMS,))
        conn.execute("INSERT INTO organisations (name, kind) SELECT 'GP practice ' || n, 'gp_practice'"
                     " FROM generate_series(1, %s) n", (GP_PRACTICES,))
        conn.execute(
            "INSERT INTO users (username, password_hash, display_name, role, organisation_id)"
            " SELECT CASE WHEN o.kind = 'gp_practice' THEN 'gp' ELSE 'nurse' END || o.id, %s, o.name || ' user',"
            " CASE WHEN o.kind = 'gp_practice' THEN 'gp' ELSE 'nurse' END, o.id FROM organisations o",
            (digest,),
        )
        with conn.cursor().copy("COPY patients (id, display_name, birth_year, nursing_org_id, gp_org_id, conditions)"
                                " FROM STDIN") as copy:
            for pid in range(1, patients + 1):
                progs = _PROGRAMME_SETS[pid % len(_PROGRAMME_SETS)]
                copy.write_row((pid, f"Patient {pid:05d}", 1930 + pid % 30, 1 + pid % NURSING_TEAMS,
                                NURSING_TEAMS + 1 + pid % GP_PRACTICES, progs))
        conn.execute("SELECT setval('patients_id_seq', %s)", (patients,))
        conn.execute(
            "INSERT INTO gateways (id, label, online, last_seen_at, status)"
            " SELECT 'gw-' || p.id, 'Kit ' || p.id, p.id % 31 <> 0,"
            " now() - CASE WHEN p.id % 31 = 0 THEN interval '9 hours' ELSE interval '3 minutes' END,"
            " jsonb_build_object('outbox_depth', 0, 'devices', jsonb_build_object('cuff',"
            "   jsonb_build_object('battery', CASE WHEN p.id % 47 = 0 THEN 9 ELSE 80 END)))"
            " FROM patients p")
        conn.execute("INSERT INTO kit_assignments (gateway_id, patient_id, valid_from)"
                     " SELECT 'gw-' || id, id, now() - make_interval(days => %s + 1) FROM patients", (days,))
        count = 0
        buffer = io.StringIO()
        with conn.cursor().copy("COPY observations (id, patient_id, code, value, unit, measured_at, received_at)"
                                " FROM STDIN") as copy:
            for row in _rows(patients, days, now, rng):
                buffer.write(row)
                count += 1
                if count % 50_000 == 0:
                    copy.write(buffer.getvalue())
                    buffer = io.StringIO()
                    typer.echo(f"  {count:,} readings", err=True)
            copy.write(buffer.getvalue())
        # Each patient: a few closed alerts over the year; one in twenty has a live one.
        conn.execute(
            """INSERT INTO alerts (patient_id, rule, code, severity, status, opened_at, observed_at, value,
                                   explanation, resolved_at, outcome)
               SELECT p.id, 'threshold', 'bp_systolic', 'yellow', 'resolved', t, t, 171,
                      '{"text": {"da": "Systolisk blodtryk 171 mmHg er over den gule grænse 160 mmHg.",
                                 "en": "Systolic blood pressure 171 mmHg is above the yellow limit 160 mmHg."},
                        "bound": 160, "side": "high"}'::jsonb, t + interval '2 hours', 'contacted_patient'
               FROM patients p CROSS JOIN LATERAL (
                   SELECT now() - make_interval(days => (p.id * k) %% %(days)s + 2) AS t FROM generate_series(1, 3) k
               ) ts""",
            {"days": days},
        )
        conn.execute(
            """INSERT INTO alerts (patient_id, rule, code, severity, opened_at, observed_at, value, explanation)
               SELECT p.id, 'threshold', 'spo2', CASE WHEN p.id % 40 = 0 THEN 'red' ELSE 'yellow' END,
                      now() - make_interval(mins => p.id % 600), now() - make_interval(mins => p.id % 600 + 3), 89,
                      '{"text": {"da": "Iltmætning 89 % er under den gule grænse 91 %.",
                                 "en": "Oxygen saturation 89 % is below the yellow limit 91 %."},
                        "bound": 91, "side": "low"}'::jsonb
               FROM patients p WHERE p.id % 20 = 0""")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")
    return count


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = math.floor(k), math.ceil(k)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def measure(url: str, requests: int) -> list[Figures]:
    """p50/p95 of in-process requests (the ASGI app on its own pool; no network, no browser)."""
    from fastapi.testclient import TestClient

    from clinician_ui import create_app

    with psycopg.connect(url) as conn:
        team = conn.execute("SELECT id FROM organisations WHERE kind = 'nursing_team' ORDER BY id LIMIT 1"
                            ).fetchone()
        assert team is not None
        pids = [r[0] for r in conn.execute(
            "SELECT id FROM patients WHERE nursing_org_id = %s ORDER BY id LIMIT %s", (team[0], requests))]
        practice = conn.execute("SELECT gp_org_id FROM patients WHERE id = %s", (pids[0],)).fetchone()
        assert practice is not None
        sizes = conn.execute(
            "SELECT (SELECT count(*) FROM patients WHERE nursing_org_id = %s),"
            " (SELECT count(*) FROM patients WHERE gp_org_id = %s),"
            " (SELECT count(*) FROM alerts a JOIN patients p ON p.id = a.patient_id"
            "  WHERE p.nursing_org_id = %s AND a.status <> 'resolved')",
            (team[0], practice[0], team[0])).fetchone()
        assert sizes is not None
    out = []
    with TestClient(create_app(url, secure_cookies=False)) as client:
        def timed(name: str, paths: list[str]) -> None:
            for path in paths[:5]:  # warm the pool and the caches
                assert client.get(path).status_code == 200, path
            took = []
            for path in paths:
                started = time.perf_counter()
                response = client.get(path)
                took.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            out.append(Figures(name, _percentile(took, 0.5), _percentile(took, 0.95), max(took), len(took)))

        login = client.post("/api/session", json={"username": f"nurse{team[0]}", "password": PASSWORD})
        assert login.status_code == 200, login.text
        timed(f"triage page (nurse, {sizes[0]} patients, {sizes[2]} live alerts)", ["/"] * requests)
        pages = [f"/patients/{pids[i % len(pids)]}" for i in range(requests)]
        timed("patient page (a year of readings), 30 days", pages)
        timed("patient page (a year of readings), 90 days", [f"{path}?days=90" for path in pages])
        client.post("/api/session", json={"username": f"gp{practice[0]}", "password": PASSWORD})
        timed(f"GP rounds ({sizes[1]} patients)", ["/rounds"] * requests)
    return out


def write_doc(path: Path, figures: list[Figures], patients: int, days: int, readings: int,
              load_s: float) -> None:
    """Replace the "## Web" section of the benchmarks page (create it if absent), keeping every other one."""
    lines = [
        "## Web",
        "",
        f"`nearcare bench web` — {patients:,} patients × {days} days, {readings:,} readings, loaded with COPY in "
        f"{load_s:.0f} s; {NURSING_TEAMS} nursing teams of {patients // NURSING_TEAMS} patients, {GP_PRACTICES} GP "
        f"practices, one in twenty patients with a live alert (all of them in the measured team's queue: its worst "
        f"case). Time per request measured in process (the ASGI app "
        f"and its connection pool, no network), after five warm-up requests. Target: p95 ≤ 150 ms.",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {platform.machine()} / Python {platform.python_version()} / "
        f"PostgreSQL on the same machine.",
        "",
        "| page | requests | p50 ms | p95 ms | max ms |",
        "|---|---:|---:|---:|---:|",
        *[f"| {f.name} | {f.n} | {f.p50_ms:.1f} | {f.p95_ms:.1f} | {f.max_ms:.1f} |" for f in figures],
        "",
        "Where the time goes: the triage page renders every live alert of the team with its trend line, hand-over "
        "and snooze forms, and writes one audit row per patient shown, in the request's transaction; the patient "
        "page reads one patient's readings through (patient_id, code, measured_at) and (patient_id, measured_at) "
        "indexes, so its time does not grow with the number of patients. Re-run with `nearcare bench web`.",
        "",
    ]
    section = "\n".join(lines)
    text = path.read_text("utf-8") if path.exists() else "# Benchmarks\n\n"
    pattern = re.compile(r"^## Web\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip("\n") + "\n", "utf-8")


@contextlib.contextmanager
def _server() -> Iterator[str]:
    from nearcare.settings import load

    settings = load()
    if settings.database_url:
        yield settings.database_url
        return
    from nearcare.embedded_postgres import EmbeddedPostgres

    with tempfile.TemporaryDirectory(prefix="nearcare-bench-") as tmp:
        server = EmbeddedPostgres(Path(tmp))
        url = server.start()
        try:
            yield url
        finally:
            server.stop()


def bench_web(
    patients: Annotated[int, typer.Option(help="Patients to generate.")] = 2000,
    days: Annotated[int, typer.Option(help="Days of readings per patient.")] = 365,
    requests: Annotated[int, typer.Option(help="Timed requests per page.")] = 100,
    doc: Annotated[Path | None, typer.Option(help="Benchmarks page to update.")] = Path("docs/benchmarks.md"),
    keep: Annotated[bool, typer.Option(help="Keep the generated database.")] = False,
) -> list[Figures]:
    """Generate a fresh database, time the triage page and patient pages, print p50/p95 and record them."""
    with _server() as server_url:
        name = f"nearcare_bench_web_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = _with_db(server_url, name)
        try:
            migrate(url)
            typer.echo(f"building {patients:,} patients × {days} days in {name} …", err=True)
            started = time.perf_counter()
            readings = build(url, patients, days)
            load_s = time.perf_counter() - started
            typer.echo(f"{readings:,} readings in {load_s:.0f} s", err=True)
            figures = measure(url, requests)
        finally:
            if not keep:
                with psycopg.connect(server_url, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    for f in figures:
        verdict = "ok" if f.p95_ms <= 150 else "OVER TARGET"
        typer.echo(f"{f.name:40s} p50 {f.p50_ms:6.1f} ms   p95 {f.p95_ms:6.1f} ms   max {f.max_ms:6.1f} ms  {verdict}")
    if doc is not None:
        write_doc(doc, figures, patients, days, readings, load_s)
        typer.echo(f"written to {doc}")
    return figures


bench_web_app = typer.Typer(help="Benchmarks of the clinician web app.", no_args_is_help=True)
bench_web_app.command("web")(bench_web)
