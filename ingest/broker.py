"""Which broker ingest talks to, and whether its shared subscriptions survive a broker restart.

Mosquitto before 2.0.12 does not restore the ``$share`` subscriptions of a durable client (clean start off,
session kept) from its persistence file. After a broker restart the group's messages are accepted — the gateway
gets its PUBACK and deletes its copy — and routed nowhere until the worker subscribes again: a silent loss of
whatever a gateway sent in that window. Upstream fixed it in 2.0.12 ("Fix $share subscriptions not being
recovered for durable clients that reconnect"). Debian 12 ships 2.0.11. A plain persistent subscription is
restored correctly by the same versions, so on such a broker ingest subscribes plainly: every worker then gets
every reading and the database keeps one copy (ON CONFLICT DO NOTHING), which costs throughput and loses nothing.

The broker tells its version on ``$SYS/broker/version`` (retained). A broker that does not answer (not
Mosquitto, or an ACL without ``$SYS``) is trusted: the production deployment pins a fixed Mosquitto.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

VERSION_TOPIC = "$SYS/broker/version"
# How long a connecting worker waits for the version before it subscribes as configured.
VERSION_WAIT_S = 2.0
_MOSQUITTO_FIXED = (2, 0, 12)
_MOSQUITTO = re.compile(r"mosquitto version (\d+)\.(\d+)\.(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class BrokerVersion:
    text: str
    mosquitto: tuple[int, int, int] | None  # None: not a Mosquitto version string

    @classmethod
    def parse(cls, payload: bytes | str) -> BrokerVersion:
        text = payload.decode("utf-8", "replace") if isinstance(payload, bytes) else payload
        text = text.strip()[:200]
        m = _MOSQUITTO.search(text)
        return cls(text, (int(m[1]), int(m[2]), int(m[3])) if m else None)

    @property
    def keeps_shared_sessions(self) -> bool:
        """False for a broker known to drop a durable shared subscription's messages across a restart."""
        return self.mosquitto is None or self.mosquitto >= _MOSQUITTO_FIXED


def use_shared(wanted: bool, version: BrokerVersion | None) -> bool:
    """Shared subscription only when configured and the broker is not one that loses messages with it."""
    return wanted and (version is None or version.keeps_shared_sessions)
