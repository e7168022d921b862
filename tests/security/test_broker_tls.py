"""TLS to the broker, as deploy/mosquitto/mosquitto.conf sets it up: a real Mosquitto with a TLS listener and a
certificate from a private CA (made for the test), a provisioned kit that trusts that CA by ``?cafile=``, and
ingest reading over TLS. A client that does not trust the CA, or that speaks plain MQTT to the TLS port, gets
nothing through."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import trustme

from device_profiles.endpoint import BrokerEndpoint, EndpointError
from gateway.provision import provision, set_account, write_acl
from gateway.sim.scenarios import Sample
from tests.security.mosquitto_server import PrivateMosquitto, close, connect_url, require_mosquitto
from tests.support.platform import TZ, SimKit, ingest_worker, make_patient

INGEST_PASSWORD = "ingest-" + uuid.uuid4().hex


@dataclass
class TlsBroker:
    broker: PrivateMosquitto
    cafile: Path
    conf: Path


@pytest.fixture
def tls_broker(tmp_path: Path) -> Iterator[TlsBroker]:
    require_mosquitto()
    ca = trustme.CA(organization_name="nearcare test broker CA")
    server = ca.issue_cert("localhost")  # the name the clients connect to
    certs = tmp_path / "certs"
    certs.mkdir()
    cafile, chain, key = certs / "ca.crt", certs / "server.crt", certs / "server.key"
    ca.cert_pem.write_to_path(str(cafile))
    server.private_key_pem.write_to_path(str(key))
    chain.write_bytes(b"".join(blob.bytes() for blob in server.cert_chain_pems))
    conf = tmp_path / "mosquitto"
    set_account(conf / "passwd", "ingest", INGEST_PASSWORD)
    write_acl(conf / "acl")
    broker = PrivateMosquitto(tmp_path / "broker", passwd=conf / "passwd", acl=conf / "acl", tls=(chain, key))
    broker.start()
    try:
        yield TlsBroker(broker, cafile, conf)
    finally:
        broker.stop()


def _connack(url: str, timeout: float = 5) -> str:
    """What a client gets on connecting: the CONNACK reason, or the error that stopped it."""
    client, reason = connect_url(url, timeout=timeout)
    if client is not None:
        close(client)
    return reason


def test_a_kit_provisioned_for_a_private_ca_stores_its_readings_over_tls(tls_broker: TlsBroker, database_url: str,
                                                                        tmp_path: Path) -> None:
    broker = tls_broker.broker
    _, gateway_id, _ = make_patient(database_url)
    kit = provision(tls_broker.conf, tmp_path / "kits", f"mqtts://localhost:8883?cafile={tls_broker.cafile}",
                    gateway_id=gateway_id, database_url=database_url)
    broker.reload()
    # The kit's URL keeps the CA option; pointed at the test broker's TLS port.
    assert kit.credentials.mqtt_url.endswith(f"?cafile={tls_broker.cafile}")
    password = BrokerEndpoint.parse(kit.credentials.mqtt_url).password
    kit_url = broker.tls_url(gateway_id, password, tls_broker.cafile)
    ingest_url = broker.tls_url("ingest", INGEST_PASSWORD, tls_broker.cafile)
    with ingest_worker(database_url, ingest_url), SimKit(gateway_id, kit_url, tmp_path) as sim:
        now = datetime.now(TZ).replace(tzinfo=None, microsecond=0)
        sim.devices["bp"].take(Sample(now - timedelta(minutes=5), "bp", {"systolic": 131, "diastolic": 84,
                                                                       "pulse": 71}))
        assert sim.poll() == 4
        assert sim.publisher.wait_drained(15)
        deadline = time.monotonic() + 15
        stored = 0
        while stored < 4 and time.monotonic() < deadline:
            with psycopg.connect(database_url) as conn:
                row = conn.execute("SELECT count(*) FROM observations WHERE gateway_id = %s", (gateway_id,)).fetchone()
            stored = row[0] if row else 0
            time.sleep(0.1)
    assert stored == 4


def test_a_client_that_does_not_trust_the_ca_or_skips_tls_gets_nothing_through(tls_broker: TlsBroker) -> None:
    broker = tls_broker.broker
    assert _connack(broker.tls_url("ingest", INGEST_PASSWORD, tls_broker.cafile)) == "Success"
    # The system trust store does not know the private CA: the handshake fails before any password is sent.
    assert _connack(broker.tls_url("ingest", INGEST_PASSWORD)).startswith("refused")
    # Plain MQTT to the TLS port is not MQTT to the broker.
    assert broker.tls_port is not None
    assert _connack(f"mqtt://ingest:{INGEST_PASSWORD}@127.0.0.1:{broker.tls_port}", timeout=3) != "Success"
    # A wrong password over good TLS is still refused by the broker.
    assert _connack(broker.tls_url("ingest", "wrong", tls_broker.cafile)) == "Not authorized"


@pytest.mark.parametrize(("url", "expected"), [
    ("mqtt://127.0.0.1", BrokerEndpoint("127.0.0.1", 1883)),
    ("mqtts://kit-1:p%40ss@mqtt.example.org", BrokerEndpoint("mqtt.example.org", 8883, "kit-1", "p@ss", True)),
    ("mqtts://h:9999?cafile=/etc/nearcare/ca.crt", BrokerEndpoint("h", 9999, tls=True, cafile="/etc/nearcare/ca.crt")),
])
def test_broker_urls(url: str, expected: BrokerEndpoint) -> None:
    assert BrokerEndpoint.parse(url) == expected


@pytest.mark.parametrize(("url", "says"), [
    ("http://h", "mqtt:// or mqtts://"),
    ("mqtt://h?cafile=/x.crt", "cafile needs an mqtts"),
    ("mqtts://h?ca=/x.crt", "unknown options ca"),
    ("mqtt://h:99999", "bad port"),
])
def test_bad_broker_urls_say_what_is_wrong(url: str, says: str) -> None:
    with pytest.raises(EndpointError, match=says):
        BrokerEndpoint.parse(url)
