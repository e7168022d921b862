"""Seed the demo: a home-nursing team, an acute team, a GP practice, users, patients and their kits."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

from clinician_ui.accounts import create_user
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


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    role: str
    display_name: str


def is_seeded(conn: psycopg.Connection) -> bool:
    row = conn.execute("SELECT count(*) FROM organisations").fetchone()
    return bool(row and row[0])


def seed(conn: psycopg.Connection, patients: list[DemoPatient], history_days: int) -> list[Login]:
    """Create everything in one transaction; passwords are random and returned once."""
    org: dict[str, int] = {}
    for name, kind in ((NURSING, "nursing_team"), (ACUTE, "acute_team"), (GP, "gp_practice"),
                       (OTHER_NURSING, "nursing_team")):
        row = conn.execute("INSERT INTO organisations (name, kind) VALUES (%s, %s) RETURNING id",
                           (name, kind)).fetchone()
        assert row is not None
        org[name] = row[0]
    logins = []
    for username, display, role, org_name in USERS:
        password = secrets.token_urlsafe(9)
        create_user(conn, username=username, password=password, display_name=display, role=role,
                    organisation_id=org[org_name])
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
    return logins


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
