"""Stored-record download from a glucometer through the Record Access Control Point.

The gateway asks only for records after the last sequence number it has committed; it commits a new one
only after a complete download, so a link lost half-way means the next session asks again (re-sent records
carry the same observation id and are stored once).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from dataclasses import dataclass
from datetime import datetime

import structlog

from device_profiles.decoders import decode
from device_profiles.glucose_context import GLUCOSE_MEASUREMENT_CONTEXT
from device_profiles.reading import DecodeError
from gateway import racp
from gateway.transport import Link, LinkLost

log = structlog.get_logger(__name__)

Received = list[tuple[bytes, str, datetime]]  # (payload, characteristic, receive time), shared with the session


def sequence_key(address: str) -> str:
    """The outbox meta key holding a meter's last committed record."""
    return f"racp_last_sequence:{address}"


def fingerprint(payload: bytes) -> str:
    return hashlib.sha256(payload).hexdigest()[:16]


@dataclass(frozen=True)
class Committed:
    """The newest stored record already safely in the outbox: its sequence number and a fingerprint of its
    bytes. The fingerprint tells a meter that was reset and has since counted past the same number apart
    from the meter the gateway last saw."""

    sequence: int
    fingerprint: str = ""

    def to_meta(self) -> str:
        return f"{self.sequence}:{self.fingerprint}"

    @classmethod
    def from_meta(cls, value: str | None) -> Committed | None:
        if not value:
            return None
        sequence, _, print_ = value.partition(":")
        return cls(int(sequence) % racp.SEQUENCE_MODULO, print_)


class RacpRefused(Exception):
    """The meter answered a request with an error response code."""


@dataclass(frozen=True)
class DownloadOutcome:
    newest: Committed | None  # the meter's most recent record; None when it holds none
    reset: bool = False  # the meter's numbering started again (memory cleared, batteries out)


Records = list[tuple[int, bytes]]  # (sequence number, payload) in the order they arrived


class RecordDownload:
    """One download over one link. Feed RACP indications to ``on_indication``; ``run`` does the procedure."""

    def __init__(self, link: Link, received: Received, *, characteristic: str = racp.RACP,
                 response_timeout: float = 10.0) -> None:
        self.link = link
        self.received = received
        self.characteristic = characteristic
        self.response_timeout = response_timeout  # of silence: a long transfer keeps the wait alive
        self._responses: asyncio.Queue[bytes] = asyncio.Queue()
        # Payloads of the committed record seen again (asked for to prove continuity): already uploaded.
        self.known: set[bytes] = set()

    def on_indication(self, data: bytes) -> None:
        self._responses.put_nowait(bytes(data))

    async def request(self, value: bytes) -> tuple[racp.Response, Records]:
        """Write one request and wait for its response; returns it with the records that arrived meanwhile."""
        while not self._responses.empty():
            self._responses.get_nowait()  # a late answer to an earlier request must not answer this one
        start = len(self.received)
        await self.link.write(self.characteristic, value, response=True)
        loop = asyncio.get_running_loop()
        seen, quiet_since = start, loop.time()
        raw: bytes | None = None
        while raw is None:
            if not self.link.is_connected:
                raise LinkLost(f"link lost during RACP request {value.hex()}")
            with contextlib.suppress(TimeoutError):
                raw = await asyncio.wait_for(self._responses.get(), timeout=0.05)
            if len(self.received) != seen:
                seen, quiet_since = len(self.received), loop.time()
            elif raw is None and loop.time() - quiet_since > self.response_timeout:
                raise TimeoutError(f"no RACP response to {value.hex()} within {self.response_timeout} s")
        # [GLP 1.0] the meter sends the records before the response code, so all of them are in by now.
        return racp.parse_response(raw), self._records(start)

    def _records(self, start: int) -> Records:
        out: Records = []
        for payload, characteristic, _ in self.received[start:]:
            if characteristic == GLUCOSE_MEASUREMENT_CONTEXT:
                continue  # carries its measurement's sequence number, but is not a stored record of its own
            try:
                sequence = decode(characteristic, payload).sequence
            except DecodeError:
                continue  # the session logs it when it decodes everything
            if sequence is not None:
                out.append((sequence, payload))
        return out

    async def _report(self, value: bytes) -> Records:
        response, records = await self.request(value)
        if not response.ok:
            raise RacpRefused(f"meter answered {value.hex()} with: {response.describe()}")
        return records

    async def _all(self) -> Records:
        return await self._report(racp.report_all_records())

    async def run(self, last: Committed | None) -> DownloadOutcome:
        """Fetch every record newer than ``last`` (all records when None) and say what to commit."""
        response, got = await self.request(racp.report_last_record())
        if response.code in (racp.OP_CODE_NOT_SUPPORTED, racp.OPERATOR_NOT_SUPPORTED, racp.INVALID_OPERATOR):
            return await self._without_last_record(last)
        if not response.ok:
            raise RacpRefused(f"meter answered 'last record' with: {response.describe()}")
        top = _newest(got)
        if response.code == racp.NO_RECORDS_FOUND or top is None:
            # An empty meter: whatever it numbers next starts a new series.
            return DownloadOutcome(None, reset=last is not None)
        if last is None:
            await self._all()
            return DownloadOutcome(top)
        if top.sequence == last.sequence and _same(top, last):
            self.known.update(p for s, p in got if s == last.sequence)
            return DownloadOutcome(top)  # nothing new
        if top.sequence == last.sequence or not racp.is_newer(top.sequence, last.sequence):
            return await self._reset(last, top)
        # From the committed record itself, inclusive: seeing it again unchanged proves the same series.
        got = await self._report(racp.report_records_from(last.sequence))
        if top.sequence < last.sequence:  # rolled over: last..65535 came, 0..top follows
            got += await self._report(racp.report_records_upto(top.sequence))
        if self._changed(got, last):
            return await self._reset(last, top)
        return DownloadOutcome(top)

    def _changed(self, got: Records, last: Committed) -> bool:
        """Whether the committed record came back as another reading; when it came back unchanged, its
        payload is noted as known."""
        again = [p for s, p in got if s == last.sequence]
        if any(not _same(Committed(last.sequence, fingerprint(p)), last) for p in again):
            return True
        self.known.update(again)
        return False

    async def _reset(self, last: Committed, top: Committed) -> DownloadOutcome:
        # Numbering started again: take everything the meter holds; deterministic ids drop what is known.
        log.info("meter_reset_detected", last=last.sequence, newest=top.sequence)
        await self._all()
        return DownloadOutcome(top, reset=True)

    async def _without_last_record(self, last: Committed | None) -> DownloadOutcome:
        """Meters without the "last record" operator: greater-or-equal from the committed record on."""
        if last is None:
            return DownloadOutcome(_newest(await self._all()))
        got = await self._report(racp.report_records_from(last.sequence))
        changed = self._changed(got, last)
        if not got or changed or any(s == racp.SEQUENCE_MODULO - 1 for s, _ in got):
            # The committed record is gone or different (reset), or numbering rolls over past 65535 and a
            # greater-or-equal request cannot reach 0..n: take everything, ids drop what is known.
            return DownloadOutcome(_newest(await self._all()), reset=not got or changed)
        return DownloadOutcome(_newest(got))


def _same(a: Committed, b: Committed) -> bool:
    # A fingerprint missing on either side (stored by an older gateway) cannot disprove continuity.
    return a.sequence == b.sequence and (not a.fingerprint or not b.fingerprint or a.fingerprint == b.fingerprint)


def _newest(records: Records) -> Committed | None:
    top = racp.newest([s for s, _ in records])
    if top is None:
        return None
    payload = next(p for s, p in reversed(records) if s == top)
    return Committed(top, fingerprint(payload))
