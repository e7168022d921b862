"""Kit health in plain words: the status file the running gateway writes every heartbeat, and what a nurse
installing the kit reads from it ("Box online, last upload 2 min ago; ...")."""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

Lang = Literal["en", "da"]
LOW_BATTERY = 20  # %, below this the nurse is told to change batteries

DEVICE_NAMES: dict[str, tuple[str, str]] = {
    "blood_pressure_monitor": ("Blood pressure monitor", "Blodtryksmåler"),
    "weight_scale": ("Scale", "Vægt"),
    "glucometer": ("Blood sugar meter", "Blodsukkermåler"),
    "pulse_oximeter": ("Pulse oximeter", "Iltmætningsmåler"),
    "thermometer": ("Thermometer", "Termometer"),
    "spirometer": ("Spirometer", "Spirometer"),
    "peak_flow_meter": ("Peak flow meter", "Peak flow-måler"),
}

_TEXT: dict[str, tuple[str, str]] = {
    "online": ("Box online", "Boksen er online"),
    "offline": ("Box has no connection to the server (readings are kept and sent later)",
                "Boksen har ingen forbindelse til serveren (målinger gemmes og sendes senere)"),
    "stopped": ("Box is not running (last sign of life {ago})", "Boksen kører ikke (sidste livstegn {ago})"),
    "never_ran": ("Box has not started yet", "Boksen er ikke startet endnu"),
    "last_upload": ("last upload {ago}", "sidste upload {ago}"),
    "no_upload": ("nothing uploaded yet", "intet sendt endnu"),
    "seen": ("{name} seen {ago}", "{name} set {ago}"),
    "not_seen": ("{name} not seen yet (take a measurement to wake it)",
                 "{name} ikke set endnu (tag en måling for at vække den)"),
    "battery": ("battery {level} %", "batteri {level} %"),
    "battery_low": ("battery low ({level} %), change batteries", "lavt batteri ({level} %), skift batterier"),
    "trouble": ("cannot connect, {n} tries", "kan ikke forbinde, {n} forsøg"),
    "waiting": ("{n} readings waiting", "{n} målinger venter"),
    "waiting_1": ("1 reading waiting", "1 måling venter"),
    "no_devices": ("No devices enrolled: pair them with `nearcare gateway pair`",
                   "Ingen apparater tilmeldt: par dem med `nearcare gateway pair`"),
}


def _t(key: str, lang: Lang, **values: object) -> str:
    en, da = _TEXT[key]
    return (da if lang == "da" else en).format(**values)


def ago(then: datetime | None, now: datetime, lang: Lang = "en") -> str:
    if then is None:
        return "never" if lang == "en" else "aldrig"
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 60:
        return "just now" if lang == "en" else "lige nu"
    if seconds < 3600:
        n, unit = seconds // 60, "min"
    elif seconds < 2 * 86400:
        n, unit = seconds // 3600, "h" if lang == "en" else "t"
    else:
        n, unit = seconds // 86400, "days" if lang == "en" else "dage"
    return f"{n} {unit} ago" if lang == "en" else f"for {n} {unit} siden"


def _when(value: object) -> datetime | None:
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def write_status(path: Path, status: dict[str, Any]) -> None:
    """Replace the status file atomically; the last upload survives a restart that has not uploaded yet."""
    if status.get("last_upload") is None:
        previous = read_status(path)
        if previous:
            status = {**status, "last_upload": previous.get("last_upload")}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(status, f, default=str)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_status(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None
    return value if isinstance(value, dict) else None


def outbox_depth(path: Path) -> int | None:
    """Readings waiting, read without writing (the running gateway owns the file); None when absent."""
    if not path.exists():
        return None
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
            (n,) = db.execute("SELECT count(*) FROM outbox").fetchone()
        return int(n)
    except sqlite3.Error:
        return None


def plain_status(status: dict[str, Any] | None, devices: Sequence[tuple[str, str, str]], depth: int | None,
                 now: datetime | None = None, lang: Lang = "en") -> list[str]:
    """Lines a nurse can read. ``devices`` are (address, device kind, label) as enrolled; ``status`` is the
    gateway's status file (None when it never ran)."""
    now = now or datetime.now(UTC)
    lines: list[str] = []
    if status is None:
        lines.append(_t("never_ran", lang))
    else:
        at = _when(status.get("at"))
        stale = timedelta(seconds=3 * float(status.get("heartbeat_s") or 60) + 30)
        upload = _when(status.get("last_upload"))
        if at is None or now - at > stale or status.get("running") is False:
            lines.append(_t("stopped", lang, ago=ago(at, now, lang)))
        elif status.get("connected"):
            upload_text = _t("last_upload", lang, ago=ago(upload, now, lang)) if upload else _t("no_upload", lang)
            lines.append(f"{_t('online', lang)}, {upload_text}")
        else:
            lines.append(_t("offline", lang))
    seen = (status or {}).get("devices") or {}
    if not devices:
        lines.append(_t("no_devices", lang))
    for address, kind, label in devices:
        name = label or DEVICE_NAMES.get(kind, (kind, kind))[0 if lang == "en" else 1]
        health = seen.get(address) or {}
        last = _when(health.get("last_seen"))
        if last is None:
            lines.append(_t("not_seen", lang, name=name))
            continue
        parts = [_t("seen", lang, name=name, ago=ago(last, now, lang))]
        battery = health.get("battery")
        if battery is not None:
            parts.append(_t("battery_low" if battery < LOW_BATTERY else "battery", lang, level=battery))
        if (health.get("failures") or 0) >= 3:
            parts.append(_t("trouble", lang, n=health["failures"]))
        lines.append(", ".join(parts))
    if depth is not None:
        lines.append(_t("waiting_1", lang) if depth == 1 else _t("waiting", lang, n=depth))
    return lines
