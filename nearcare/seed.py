"""Seed the demo: a home-nursing team, an acute team, a GP practice, users, patients and their kits; and,
once the kits' history is in, the care the patients had in those weeks (handled alerts, the GP's last round)."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast
from zoneinfo import ZoneInfo

import psycopg

from alerts.store import queue_depth
from clinician_ui import alert_actions
from clinician_ui.accounts import User, create_user, find_user
from clinician_ui.errors import Conflict, NotFound
from nearcare.cohort import DemoPatient

NURSING = "Hjemmesygeplejen Midtby"
ACUTE = "Akutteam Midtby"
GP = "Lægehuset ved Åen"
OTHER_NURSING = "Hjemmesygeplejen Nordby"  # a second organisation: its users must never see the first's

USERS = [  # username, display name, role, organisation
    ("sygeplejerske", "Hanne Holm (sygeplejerske)", "nurse", NURSING),
    ("akut", "Mette Berg (akutsygeplejerske)", "acute_nurse", ACUTE),
    ("laege", "Jens Lund (praktiserende læge)", "gp", GP),
    ("admin", "Administrator", "admin", NURSING),
    ("nordby", "Susanne Vang (Nordby)", "nurse", OTHER_NURSING),
]
NURSE, DOCTOR = "sygeplejerske", "laege"
GP_ROUND_DAYS_AGO = 7  # the GP's last virtual round: the rounds page shows what changed since
# Alerts whose newest evidence is older than this were handled by the team before the demo started.
HANDLED_BEFORE = timedelta(hours=24)
HANDLED_NOTE = "Håndteret før demoen startede."
COPENHAGEN = ZoneInfo("Europe/Copenhagen")


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    role: str
    display_name: str


def is_seeded(conn: psycopg.Connection) -> bool:
    row = conn.execute("SELECT count(*) FROM organisations").fetchone()
    return bool(row and row[0])


def seed(conn: psycopg.Connection, patients: list[DemoPatient], history_days: int,
         tz: ZoneInfo = COPENHAGEN) -> list[Login]:
    """Create everything in one transaction; passwords are random and returned once."""
    org: dict[str, int] = {}
    for name, kind in ((NURSING, "nursing_team"), (ACUTE, "acute_team"), (GP, "gp_practice"),
                       (OTHER_NURSING, "nursing_team")):
        row = conn.execute("INSERT INTO organisations (name, kind) VALUES (%s, %s) RETURNING id",
                           (name, kind)).fetchone()
        assert row is not None
        org[name] = row[0]
    logins = []
    user_ids: dict[str, int] = {}
    for username, display, role, org_name in USERS:
        password = secrets.token_urlsafe(9)
        user_ids[username] = create_user(conn, username=username, password=password, display_name=display,
                                         role=role, organisation_id=org[org_name])
        logins.append(Login(username, password, role, display))
    since = datetime.now(UTC) - timedelta(days=history_days + 30)
    for p in patients:
        row = conn.execute(
            "INSERT INTO patients (display_name, birth_year, nursing_org_id, gp_org_id, conditions)"
            " VALUES (%s, %s, %s, %s, %s) RETURNING id",
            (p.name, p.birth_year, org[NURSING], org[GP], list(p.conditions)),
        ).fetchone()
        assert row is not None
        conn.execute("INSERT INTO gateways (id, label) VALUES (%s, %s)", (p.gateway_id, f"Kit for {p.name}"))
        conn.execute("INSERT INTO kit_assignments (gateway_id, patient_id, valid_from) VALUES (%s, %s, %s)",
                     (p.gateway_id, row[0], since))
        conn.execute("INSERT INTO patient_reviews (patient_id, user_id, reviewed_at, note) VALUES (%s, %s, %s, %s)",
                     (row[0], user_ids[DOCTOR], _last_round(p.index, tz), _round_note(p)))
    return logins


def _last_round(index: int, tz: ZoneInfo) -> datetime:
    """The GP's virtual round a week ago, late morning, a few minutes per patient."""
    day = datetime.now(tz) - timedelta(days=GP_ROUND_DAYS_AGO)
    return day.replace(hour=11, minute=0, second=0, microsecond=0) + timedelta(minutes=3 * index)


def _round_note(p: DemoPatient) -> str:
    """What the GP wrote at that round: about an episode before it, or that things were stable."""
    if p.sim.event_day > GP_ROUND_DAYS_AGO:
        if p.sim.scenario == "hf_weight_gain":
            return "Vægten faldet igen efter øget furosemid. Fortsætter."
        if p.sim.scenario == "copd_exacerbation":
            return "Bedre efter KOL-forværringen; prednisolonkuren afsluttet."
    if "heart_failure" in p.conditions:
        return "Vægt og blodtryk stabile. Fortsætter."
    if "copd" in p.conditions:
        return "Saturation og lungefunktion stabile. Fortsætter."
    return "Blodsukre som ventet. Fortsætter."


def save_logins(path: Path, logins: list[Login]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{x.username}\t{x.password}\t{x.role}\t{x.display_name}\n" for x in logins))
    path.chmod(0o600)


def read_logins(path: Path) -> list[Login]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        username, password, role, display = line.split("\t")
        out.append(Login(username, password, role, display))
    return out


def wait_taken_in(conn: psycopg.Connection, readings: int, stall_s: float = 5.0) -> bool:
    """Until ``readings`` observations are stored and the alert core has evaluated every one (its queue is
    empty). False when nothing moved for ``stall_s`` seconds short of that (a reading quarantined, say):
    the demo then carries on rather than wait for what will not come."""
    last, moved = None, time.monotonic()
    while True:
        row = conn.execute("SELECT count(*) FROM observations").fetchone()
        stored, queued = (row[0] if row else 0), queue_depth(conn)
        conn.commit()
        if stored >= readings and queued == 0:
            return True
        if (stored, queued) != last:
            last, moved = (stored, queued), time.monotonic()
        elif time.monotonic() - moved > stall_s:
            return False
        time.sleep(0.02)


def db_clock(conn: psycopg.Connection) -> datetime:
    row = conn.execute("SELECT clock_timestamp()").fetchone()
    conn.commit()
    assert row is not None
    return cast(datetime, row[0])


def date_normalised(conn: psycopg.Connection, since: datetime) -> None:
    """Alerts the alert core closed itself (values back in range) since ``since``, while one replayed day was
    taken in: dated when the patient's last reading of that day arrived rather than now."""
    conn.execute(
        "UPDATE alerts a SET resolved_at = lr.at, updated_at = lr.at"
        " FROM (SELECT patient_id, max(received_at) AS at FROM observations GROUP BY patient_id) lr"
        " WHERE lr.patient_id = a.patient_id AND a.outcome = 'normalised' AND a.resolved_at >= %s",
        (since,))
    conn.commit()


def _handling(rule: str, severity: str) -> tuple[str, str]:
    """A plausible outcome and note for an alert handled in the weeks before the demo."""
    if rule in ("hf_weight", "copd_exacerbation"):
        return "gp_informed", f"Talt med patienten; egen læge har justeret behandlingen. {HANDLED_NOTE}"
    if severity == "red":
        return "contacted_patient", f"Ringet til patienten, målt igen, har det godt. {HANDLED_NOTE}"
    if severity == "review":
        return "contacted_patient", f"Gennemgået ved stuegang; aftalt med patienten. {HANDLED_NOTE}"
    return "contacted_patient", f"Talt med patienten i telefon. {HANDLED_NOTE}"


async def _user(conn: psycopg.AsyncConnection, username: str) -> User:
    user = await find_user(conn, username)
    assert user is not None, f"no demo user {username}"
    return user


async def handle_past_alerts(database_url: str, before: datetime) -> list[int]:
    """Resolve the alerts whose newest evidence is older than ``before``, as the team did at the time: through
    the web app's own resolution (state check, audit row, notification) — the nurse her queue's red and
    yellow alerts, the GP the slow-trend 'review' alerts of his rounds. Returns the alerts resolved."""
    done: list[int] = []
    async with await psycopg.AsyncConnection.connect(database_url, autocommit=True) as conn:
        users = {NURSE: await _user(conn, NURSE), DOCTOR: await _user(conn, DOCTOR)}
        cur = await conn.execute("SELECT id, rule, severity FROM alerts WHERE status <> 'resolved'"
                                 " AND observed_at < %s ORDER BY id", (before,))
        for alert_id, rule, severity in await cur.fetchall():
            outcome, note = _handling(rule, severity)
            try:
                async with conn.transaction():
                    await alert_actions.resolve(conn, users[DOCTOR if severity == "review" else NURSE],
                                                alert_id, outcome, note)
            except (Conflict, NotFound):  # closed by the alert core meanwhile
                continue
            done.append(alert_id)
    return done


def date_history(conn: psycopg.Connection, handled: list[int]) -> None:
    """Date the replayed weeks' alerts as the story has them. Each opened when the reading that raised it
    arrived, so the GP's rounds count only what is new since his last round; the ones the team handled were
    acknowledged within the hour and resolved soon after their last reading. Red alerts still open keep
    their time: escalation of an unanswered red counts from the demo's start."""
    conn.execute(
        "UPDATE alerts a SET opened_at = o.received_at FROM observations o"
        " WHERE o.id = a.evidence[1] AND o.received_at < a.opened_at"
        " AND NOT (a.status <> 'resolved' AND a.severity = 'red')")
    conn.execute(
        "UPDATE alerts SET acknowledged_at = opened_at + interval '1 minute' * (6 + (id * 37) %% 50)"
        " WHERE id = ANY(%s)", (handled,))
    conn.execute(
        "UPDATE alerts SET resolved_at = greatest(observed_at, acknowledged_at)"
        " + interval '1 minute' * (10 + (id * 53) %% 70) WHERE id = ANY(%s)", (handled,))
    conn.execute("UPDATE alerts SET updated_at = resolved_at WHERE id = ANY(%s)", (handled,))
    conn.commit()
