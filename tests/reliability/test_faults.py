"""Faults over the whole chain — gateway outbox → broker → ingest → database → alert core — with nothing
lost and nothing doubled. Figures go to test-artifacts/faults.jsonl (see docs/reliability.md).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

import gateway.session
from alerts.worker import AlertWorker
from device_profiles.wire import DeviceRef, WireObservation
from gateway.publisher import Publisher
from gateway.sim.scenarios import Sample
from nearcare.embedded_postgres import EmbeddedPostgres
from tests.conftest import DatabaseFactory
from tests.ingest.tcp_proxy import TcpProxy
from tests.reliability.chain import Proof, counts, fill, outbox_at, prove, readings, wait_rows, wait_until
from tests.security.mosquitto_server import PrivateMosquitto
from tests.support.platform import TZ, SimKit, ingest_worker, make_patient

pytestmark = pytest.mark.faults
ROOT = Path(__file__).parents[2]


@contextmanager
def alert_core(database_url: str) -> Iterator[AlertWorker]:
    """The alert worker evaluating as readings commit, as in production."""
    worker = AlertWorker(database_url, poll_interval_s=0.2, sweep_interval_s=3600)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


@contextmanager
def publishing(gateway_id: str, mqtt_url: str, tmp: Path, *, rate: float = 10.0) -> Iterator[Publisher]:
    publisher = Publisher(gateway_id, mqtt_url, outbox_at(tmp, gateway_id), batch_size=20, max_batches_per_s=rate)
    publisher.start()
    try:
        yield publisher
    finally:
        publisher.stop()
        publisher.outbox.close()


def _gateway_process(tmp: Path, gateway_id: str, mqtt_url: str, rate: float) -> subprocess.Popen[bytes]:
    # Output to a file, never a pipe: a pipe nobody reads fills up and blocks the gateway's logging.
    log = tmp / f"gateway-{time.monotonic_ns()}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "tests.reliability.gateway_proc",
                                 str(tmp / f"{gateway_id}.sqlite"), gateway_id, mqtt_url, str(rate)],
                                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                                env={**os.environ, "NEARCARE_LOG_FORMAT": "json"})
    if not wait_until(lambda: b"draining" in log.read_bytes() or proc.poll() is not None, 20):
        proc.kill()
    assert proc.poll() is None, log.read_text(errors="replace")[-2000:]
    return proc


def test_gateway_killed_mid_drain(database_url: str, db_factory: DatabaseFactory, broker: PrivateMosquitto,
                                  tmp_path: Path) -> None:
    _, gateway_id, _ = make_patient(database_url)
    sent = readings(1500, step=timedelta(seconds=20))
    outbox = outbox_at(tmp_path, gateway_id)
    fill(outbox, sent)
    with ingest_worker(database_url, broker.url()) as worker, alert_core(database_url):
        first = _gateway_process(tmp_path, gateway_id, broker.url(), rate=10)
        assert wait_until(lambda: outbox.depth() < len(sent) - 400, 30)
        first.send_signal(signal.SIGKILL)  # mid-drain: batches in flight, PUBACKs not yet turned into deletes
        first.wait(10)
        killed = time.monotonic()
        left = outbox.depth()
        assert left > 0  # killed mid-drain, not after it
        second = _gateway_process(tmp_path, gateway_id, broker.url(), rate=50)
        try:
            assert wait_rows(database_url, len(sent), 60), counts(database_url)
            recovery = time.monotonic() - killed
            assert wait_until(lambda: outbox.depth() == 0, 10)
        finally:
            second.send_signal(signal.SIGKILL)
            second.wait(10)
        duplicates = worker.stats["duplicates"]
    outbox.close()
    prove(database_url, db_factory, sent, Proof("gateway kill -9 mid-drain", len(sent), recovery, duplicates,
                                                {"outbox_left_at_kill": left}))


def test_broker_restart_while_draining(database_url: str, db_factory: DatabaseFactory, broker: PrivateMosquitto,
                                       tmp_path: Path) -> None:
    _, gateway_id, _ = make_patient(database_url)
    sent = readings(2000, step=timedelta(seconds=15))
    fill(outbox_at(tmp_path, gateway_id), sent)
    with ingest_worker(database_url, broker.url()) as worker, alert_core(database_url), \
            publishing(gateway_id, broker.url(), tmp_path):
        assert wait_rows(database_url, 500, 30)
        broker.stop()  # SIGTERM: Mosquitto writes its sessions and queues to disk
        down_with = counts(database_url)[0]
        time.sleep(3)
        broker.start()
        restarted = time.monotonic()
        assert wait_rows(database_url, len(sent), 90), counts(database_url)
        recovery = time.monotonic() - restarted
        duplicates = worker.stats["duplicates"]
    prove(database_url, db_factory, sent, Proof("broker restart", len(sent), recovery, duplicates,
                                                {"stored_when_broker_stopped": down_with}))


OUTAGE_S = float(os.environ.get("NEARCARE_FAULT_DB_OUTAGE_S", "30"))


def test_database_stopped_for_thirty_seconds(db_factory: DatabaseFactory, broker: PrivateMosquitto,
                                             tmp_path: Path) -> None:
    server = EmbeddedPostgres(tmp_path / "pg")
    server_url = server.start()
    try:
        database_url = DatabaseFactory(server_url).new()
        _, gateway_id, _ = make_patient(database_url)
        sent = readings(2400, step=timedelta(seconds=15))
        fill(outbox_at(tmp_path, gateway_id), sent)
        with ingest_worker(database_url, broker.url()) as worker, alert_core(database_url), \
                publishing(gateway_id, broker.url(), tmp_path) as publisher:
            assert wait_rows(database_url, 400, 30)
            at_stop = counts(database_url)[0]
            assert at_stop < len(sent)
            server.stop()
            stopped = time.monotonic()
            with pytest.raises(psycopg.OperationalError):  # stop() only logs a failure; make sure it is down
                psycopg.connect(server_url, connect_timeout=2).close()
            time.sleep(OUTAGE_S)
            published_during_outage = publisher.published
            server.start()
            restarted = time.monotonic()
            assert wait_rows(database_url, len(sent), 90), counts(database_url)
            recovery = time.monotonic() - restarted
            duplicates = worker.stats["duplicates"]
            retries = worker.stats["db_retries"]
        assert retries > 0  # ingest did meet the outage
        prove(database_url, db_factory, sent, Proof(
            "PostgreSQL stopped", len(sent), recovery, duplicates,
            {"outage_s": round(restarted - stopped, 1), "ingest_db_retries": retries, "stored_before_outage": at_stop,
             "gateway_uploaded_by_end_of_outage": published_during_outage}))
    finally:
        server.stop()


def test_gateway_offline_for_a_day(database_url: str, db_factory: DatabaseFactory, broker: PrivateMosquitto,
                                   tmp_path: Path) -> None:
    """The kit lost its uplink for a day: every reading of the day waits in the outbox, then drains at once."""
    _, gateway_id, _ = make_patient(database_url)
    sent = readings(24 * 12 * 2, end=datetime.now(UTC) - timedelta(minutes=5), step=timedelta(minutes=2.5))
    assert sent[0].measured_at < datetime.now(UTC) - timedelta(hours=23)
    uplink = TcpProxy("127.0.0.1", broker.port)
    uplink.cut()
    try:
        with ingest_worker(database_url, broker.url()) as worker, alert_core(database_url), \
                publishing(gateway_id, f"mqtt://127.0.0.1:{uplink.port}", tmp_path) as publisher:
            for hour in range(24):  # the day's readings come in while the uplink is down
                fill(publisher.outbox, [o for o in sent if (o.measured_at - sent[0].measured_at).total_seconds()
                                        // 3600 == hour])
            time.sleep(1)
            assert publisher.outbox.depth() == len(sent) and counts(database_url) == (0, 0)
            uplink.restore()
            back = time.monotonic()
            assert wait_rows(database_url, len(sent), 120), counts(database_url)
            recovery = time.monotonic() - back
            duplicates = worker.stats["duplicates"]
    finally:
        uplink.close()
    prove(database_url, db_factory, sent, Proof("gateway offline for a day", len(sent), recovery, duplicates))


class _Skewed(datetime):
    """The gateway's system clock, moved by ``skew`` (the devices' own clocks are not)."""

    skew = timedelta(0)

    @classmethod
    def now(cls, tz: object = None) -> _Skewed:  # type: ignore[override]
        return super().now(tz) + cls.skew  # type: ignore[arg-type,return-value]


def _rebuilt(database_url: str) -> list[WireObservation]:
    with psycopg.connect(database_url) as conn:
        rows = conn.execute("SELECT id, code, value, unit, measured_at, received_at, device_id, device_profile"
                            " FROM observations").fetchall()
    return [WireObservation(id=r[0], code=r[1], value=r[2], unit=r[3], measured_at=r[4], received_at=r[5],
                            device=DeviceRef(id=r[6], profile=r[7])) for r in rows]


@pytest.mark.parametrize("jump", [timedelta(hours=1), timedelta(hours=-1)], ids=["plus_1h", "minus_1h"])
def test_gateway_clock_jump(jump: timedelta, database_url: str, db_factory: DatabaseFactory,
                            broker: PrivateMosquitto, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The kit's clock is moved by ±1 h and back between readings; meanwhile it set the cuff's clock from its
    wrong time. Each reading's time comes from the offset measured when it is downloaded, so all stay right."""
    _, gateway_id, _ = make_patient(database_url)
    monkeypatch.setattr(gateway.session, "datetime", _Skewed)
    monkeypatch.setattr(_Skewed, "skew", timedelta(0))
    true_now = datetime.now(TZ).replace(tzinfo=None, microsecond=0)
    taken: list[datetime] = []
    with ingest_worker(database_url, broker.url()) as worker, alert_core(database_url), \
            SimKit(gateway_id, broker.url(), tmp_path, kinds=("bp",)) as kit:
        cuff = kit.devices["bp"]

        def measure(minutes_ago: int) -> None:
            at = true_now - timedelta(minutes=minutes_ago)
            cuff.take(Sample(at, "bp", {"systolic": 190, "diastolic": 95, "pulse": 130}))
            taken.append(at)

        measure(40)
        assert kit.poll() > 0  # clock right: the cuff's 95 s drift is measured and its clock set
        monkeypatch.setattr(_Skewed, "skew", jump)
        cuff.awake = True  # a routine connection while the kit's clock is wrong: the cuff is set to it
        asyncio.run(kit.gateway.poll_once())
        assert abs(cuff.clock_drift - jump) < timedelta(seconds=3)
        measure(20)
        measure(10)  # both stamped by the cuff's clock, now an hour off
        monkeypatch.setattr(_Skewed, "skew", timedelta(0))  # the kit's clock jumps back (NTP)
        assert kit.poll() > 0
        assert kit.publisher.wait_drained(15)
        per_reading = len(_rebuilt_wait(database_url, 1))
        assert wait_rows(database_url, per_reading * len(taken), 15)
        duplicates = worker.stats["duplicates"]
    sent = _rebuilt(database_url)
    expected = {at.replace(tzinfo=TZ) for at in taken}
    times = sorted({o.measured_at for o in sent})
    assert len(times) == len(taken) and all(
        min(abs(t - e) for e in expected) <= timedelta(seconds=2) for t in times), (times, sorted(expected))
    prove(database_url, db_factory, sent,
          Proof(f"gateway clock jump {'+' if jump > timedelta(0) else '-'}1 h", len(sent), None, duplicates))


def _rebuilt_wait(database_url: str, n: int) -> list[WireObservation]:
    """The codes one cuff reading becomes (systolic, diastolic, mean, pulse …), once the first arrived."""
    assert wait_rows(database_url, n, 15)
    first = min(o.measured_at for o in _rebuilt(database_url))
    return [o for o in _rebuilt(database_url) if o.measured_at == first]
