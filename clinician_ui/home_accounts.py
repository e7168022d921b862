"""Logins for the patient view: the patient's own (made by an admin) and the relatives the patient grants."""

from __future__ import annotations

import re

import psycopg

from clinician_ui.accounts import User, create_user_async
from clinician_ui.admin_actions import FormErrors
from clinician_ui.queries import home as q
from clinician_ui.queries.audit import record

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,63}$")
MIN_PASSWORD = 10


def check_account(name: str, username: str, password: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = "err_name_missing"
    if not USERNAME.match(username.strip().lower()):
        errors["username"] = "err_username"
    if len(password) < MIN_PASSWORD:
        errors["password"] = "err_password_short"
    return errors


async def _create(conn: psycopg.AsyncConnection, name: str, username: str, password: str, role: str,
                  locale: str) -> int:
    errors = check_account(name, username, password)
    if not errors and await q.username_taken(conn, username.strip().lower()):
        errors["username"] = "err_username_taken"
    if errors:
        raise FormErrors(errors)
    return await create_user_async(conn, username=username.strip().lower(), password=password,
                                   display_name=name.strip()[:200], role=role, organisation_id=None, locale=locale)


async def create_patient_login(conn: psycopg.AsyncConnection, admin: User, patient_id: int, name: str,
                               username: str, password: str) -> int:
    user_id = await _create(conn, name, username, password, "patient", "da")
    await q.grant(conn, user_id, patient_id, "self", admin.id)
    await record(conn, admin.id, "admin.patient.login", patient_id, {"user_id": user_id})
    return user_id


async def grant_relative(conn: psycopg.AsyncConnection, patient_user: User, patient_id: int, name: str,
                         username: str, password: str) -> int:
    user_id = await _create(conn, name, username, password, "relative", patient_user.locale)
    await q.grant(conn, user_id, patient_id, "relative", patient_user.id)
    await record(conn, patient_user.id, "home.relative.grant", patient_id, {"user_id": user_id})
    return user_id


async def revoke_relative(conn: psycopg.AsyncConnection, patient_user: User, patient_id: int, user_id: int) -> bool:
    done = await q.revoke(conn, user_id, patient_id)
    if done:
        await record(conn, patient_user.id, "home.relative.revoke", patient_id, {"user_id": user_id})
    return done
