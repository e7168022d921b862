"""A private Mosquitto for one test: its own port, config, password file, ACL and persistence directory.

The machine's broker is shared by every test and must never be stopped; this one can be cut at will.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from device_profiles.endpoint import BrokerEndpoint
from nearcare.ports import free_port, is_listening

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def require_mosquitto() -> None:
    if not Path(MOSQUITTO).exists():
        pytest.skip("mosquitto is not installed")


class PrivateMosquitto:
    def __init__(self, workdir: Path, *, passwd: Path | None = None, acl: Path | None = None,
                 port: int | None = None, tls: tuple[Path, Path] | None = None) -> None:
        """``tls``: (certificate chain, key) for a second listener that speaks TLS only (``tls_port``)."""
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.passwd, self.acl = passwd, acl
        self.proc: subprocess.Popen[bytes] | None = None
        self.config = workdir / "mosquitto.conf"
        lines = [f"listener {self.port} 127.0.0.1",
                 "persistence true", f"persistence_location {workdir}/",
                 f"log_dest file {workdir / 'mosquitto.log'}", "log_type all",
                 "max_inflight_messages 1000", "max_queued_messages 1000000"]
        if os.geteuid() == 0:
            lines.append("user root")  # otherwise it drops to 'mosquitto', who cannot read the test's files
        if passwd is not None:
            lines += ["allow_anonymous false", f"password_file {passwd}"]
        else:
            lines.append("allow_anonymous true")
        if acl is not None:
            lines.append(f"acl_file {acl}")
        self.tls_port: int | None = None
        if tls is not None:
            self.tls_port = free_port()
            chain, key = tls
            lines += [f"listener {self.tls_port} 127.0.0.1", f"certfile {chain}", f"keyfile {key}",
                      "tls_version tlsv1.2"]
        self.config.write_text("\n".join(lines) + "\n")

    def url(self, user: str | None = None, password: str | None = None) -> str:
        auth = f"{user}:{password}@" if user else ""
        return f"mqtt://{auth}127.0.0.1:{self.port}"

    def tls_url(self, user: str | None = None, password: str | None = None, cafile: Path | None = None) -> str:
        assert self.tls_port is not None, "started without tls"
        auth = f"{user}:{password}@" if user else ""
        query = f"?cafile={cafile}" if cafile else ""
        return f"mqtts://{auth}localhost:{self.tls_port}{query}"

    def start(self) -> None:
        self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.config)], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        deadline = time.monotonic() + 10
        while not all(is_listening("127.0.0.1", p, 0.2) for p in (self.port, self.tls_port) if p):
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"mosquitto exited: {err}")
            if time.monotonic() > deadline:
                raise RuntimeError("mosquitto did not start listening")
            time.sleep(0.05)

    def stop(self, *, kill: bool = False) -> None:
        """SIGTERM saves the persistent sessions to disk (a clean restart); SIGKILL does not."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stderr:
            self.proc.stderr.close()
        self.proc = None

    def reload(self) -> None:
        """SIGHUP: re-read the password file and ACL, as after provisioning a kit."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGHUP)
        time.sleep(0.3)

    def log(self) -> str:
        path = self.workdir / "mosquitto.log"
        return path.read_text(errors="replace") if path.exists() else ""


@contextlib.contextmanager
def running(broker: PrivateMosquitto) -> Iterator[PrivateMosquitto]:
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


def connect(broker: PrivateMosquitto, user: str | None, password: str | None, *,
            protocol: int = mqtt.MQTTv311, timeout: float = 5) -> tuple[mqtt.Client, str]:
    """A connected (looping) client and the CONNACK reason as text; the caller disconnects."""
    client, reason = connect_url(broker.url(user, password), protocol=protocol, timeout=timeout)
    assert client is not None, reason  # plain TCP to a running broker: no handshake to fail
    return client, reason


def connect_url(url: str, *, protocol: int = mqtt.MQTTv311,
                timeout: float = 5) -> tuple[mqtt.Client | None, str]:
    """Connect as the URL says (TLS and its CA included): a looping client and the CONNACK reason as text, or
    no client and "refused: <error>" when the connection or the TLS handshake failed."""
    ep = BrokerEndpoint.parse(url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"t-{uuid.uuid4().hex[:8]}", protocol=protocol)
    if ep.username is not None:
        client.username_pw_set(ep.username, ep.password)
    if ep.tls:
        client.tls_set(ca_certs=ep.cafile)
    reasons: list[str] = []
    client.on_connect = lambda c, u, f, reason, p: reasons.append(str(reason))
    client.reconnect_delay_set(min_delay=30, max_delay=30)  # a refused client must not retry during a test
    try:
        client.connect(host=ep.host, port=ep.port, keepalive=30)
    except OSError as exc:  # ssl.SSLError is an OSError: the handshake itself failed
        return None, f"refused: {type(exc).__name__}"
    client.loop_start()
    deadline = time.monotonic() + timeout
    while not reasons and time.monotonic() < deadline:
        time.sleep(0.02)
    return client, reasons[0] if reasons else "no CONNACK"


def close(client: mqtt.Client) -> None:
    client.disconnect()
    client.loop_stop()
