"""A gateway's publisher in its own process, for killing with SIGKILL mid-drain.

    python -m tests.reliability.gateway_proc OUTBOX GATEWAY_ID MQTT_URL BATCHES_PER_S
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from gateway.outbox import Outbox
from gateway.publisher import Publisher


def main(argv: list[str]) -> None:
    outbox_path, gateway_id, mqtt_url, rate = argv
    outbox = Outbox(Path(outbox_path))
    publisher = Publisher(gateway_id, mqtt_url, outbox, batch_size=20, max_batches_per_s=float(rate))
    publisher.start()
    print("draining", flush=True)
    while True:
        time.sleep(1)


if __name__ == "__main__":
    main(sys.argv[1:])
