"""An in-process MQTT broker (amqtt) on a free loopback port, running in its own thread and event loop."""

from __future__ import annotations

import asyncio
import logging
import threading

import structlog

from nearcare.ports import free_port, is_listening

log = structlog.get_logger(__name__)


class EmbeddedBroker:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._broker: object | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> str:
        # amqtt logs every packet at INFO; keep the demo's output readable.
        for name in ("amqtt", "transitions"):
            logging.getLogger(name).setLevel(logging.WARNING)
        self._thread = threading.Thread(target=self._run, name="mqtt-broker", daemon=True)
        self._thread.start()
        self._started.wait(30)
        if self._error is not None:
            raise RuntimeError(f"embedded MQTT broker failed to start: {self._error}") from self._error
        if not is_listening("127.0.0.1", self.port, timeout=2):
            raise RuntimeError("embedded MQTT broker is not listening")
        log.info("embedded_broker_started", port=self.port)
        return self.url

    def _run(self) -> None:
        from amqtt.broker import Broker

        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{self.port}"}},
            "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
        }

        async def boot() -> None:
            broker = Broker(config)
            await broker.start()
            self._broker = broker

        try:
            loop.run_until_complete(boot())
        except BaseException as exc:  # reported to the starting thread
            self._error = exc
            self._started.set()
            return
        self._started.set()
        loop.run_forever()

    def stop(self) -> None:
        loop, broker = self._loop, self._broker
        if loop is None or broker is None:
            return

        async def down() -> None:
            await broker.shutdown()  # type: ignore[attr-defined]

        try:
            asyncio.run_coroutine_threadsafe(down(), loop).result(timeout=10)
        except Exception as exc:  # a broker that will not stop must not block Ctrl-C
            log.warning("embedded_broker_stop_failed", error=str(exc))
        loop.call_soon_threadsafe(loop.stop)
        if self._thread:
            self._thread.join(timeout=5)
        log.info("embedded_broker_stopped")
