"""`correlator ingest graph`: Graph's audit logs and call records onto the raw topics.

Each pass reads every endpoint from its high-water mark minus an overlap (sign-ins are indexed
minutes late, so a plain "since the newest" would miss them) up to now. Records whose id the
checkpoint holds are dropped. After each page is acknowledged by the broker, its ids go into
the checkpoint, so a poller killed mid-pass and restarted re-reads the pass but produces only
what it had not yet sent. The high-water mark moves only when a pass completes, because Graph
pages newest first.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from correlator.connectors.checkpoint import Checkpoint, Checkpoints
from correlator.connectors.graph import GraphClient
from correlator.connectors.ledger import ID_HEADER
from correlator.errors import InvalidRecord
from correlator.runtime.topics import Topics
from correlator.sources.timeparse import parse_time

log = logging.getLogger(__name__)

MINUTE_MS = 60_000


class Sink(Protocol):
    def produce(
        self,
        topic: str,
        value: bytes,
        key: bytes | str | None = None,
        headers: list[tuple[str, str | bytes | None]] | None = None,
    ) -> None: ...

    def flush(self) -> None: ...


class Ledger(Protocol):
    def ends(self, topic: str) -> dict[int, int]: ...

    def ids_since(self, topic: str, starts: Mapping[int, int]) -> set[str]: ...


def _lower(value: object) -> str | None:
    return value.strip().lower() if isinstance(value, str) and value.strip() else None


def signin_key(record: Mapping[str, Any]) -> str | None:
    return _lower(record.get("userPrincipalName")) or _lower(record.get("userId"))


def audit_key(record: Mapping[str, Any]) -> str | None:
    for target in record.get("targetResources") or ():
        if isinstance(target, Mapping) and str(target.get("type", "")).lower() == "user":
            return _lower(target.get("userPrincipalName")) or _lower(target.get("id"))
    initiator = (record.get("initiatedBy") or {}).get("user") or {}
    return _lower(initiator.get("userPrincipalName")) or _lower(initiator.get("id"))


def call_key(record: Mapping[str, Any]) -> str | None:
    organizer = record.get("organizer_v2") or (record.get("organizer") or {}).get("user") or {}
    return _lower(organizer.get("id")) or _lower(record.get("id"))


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    time_field: str
    topic: str  # the attribute of Topics
    key: Callable[[Mapping[str, Any]], str | None]
    extra_filter: str = ""
    params: tuple[tuple[str, str], ...] = ()


ENDPOINTS: dict[str, Endpoint] = {
    e.name: e
    for e in (
        Endpoint("signins", "/v1.0/auditLogs/signIns", "createdDateTime", "signins", signin_key),
        Endpoint(
            "noninteractive",
            "/beta/auditLogs/signIns",
            "createdDateTime",
            "signins",
            signin_key,
            extra_filter=" and signInEventTypes/any(t: t eq 'nonInteractiveUser')",
        ),
        Endpoint(
            "audits", "/v1.0/auditLogs/directoryAudits", "activityDateTime", "audits", audit_key
        ),
        Endpoint(
            "calls",
            "/v1.0/communications/callRecords",
            "startDateTime",
            "calls",
            call_key,
            params=(("$expand", "sessions"),),
        ),
    )
}
DEFAULT_ENDPOINTS = ("signins", "audits", "calls")


@dataclass
class PollStats:
    pages: int = 0
    records: int = 0
    produced: int = 0
    duplicates: int = 0
    seconds: float = 0.0

    def rate(self) -> float:
        return self.produced / self.seconds if self.seconds > 0 else 0.0


def iso(ms: int) -> str:
    seconds, millis = divmod(ms, 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}Z"


@dataclass
class GraphPoller:
    client: GraphClient
    sink: Sink
    checkpoints: Checkpoints
    topics: Topics = field(default_factory=Topics)
    endpoints: tuple[Endpoint, ...] = tuple(ENDPOINTS[n] for n in DEFAULT_ENDPOINTS)
    overlap_ms: int = 30 * MINUTE_MS
    since_ms: int | None = None  # where an endpoint without a checkpoint starts
    clock: Callable[[], float] = time.time
    ledger: Ledger | None = None  # without one, a crash after a flush may repeat a page
    stats: PollStats = field(default_factory=PollStats)

    def poll_once(self) -> PollStats:
        """One pass over every endpoint, up to now."""
        started = time.monotonic()
        for endpoint in self.endpoints:
            self.poll_endpoint(endpoint)
        self.stats.seconds += time.monotonic() - started
        return self.stats

    def run(self, stop: threading.Event, interval_s: float) -> None:
        while not stop.is_set():
            self.poll_once()
            log.info(
                "graph pass done: %d produced, %d already sent",
                self.stats.produced,
                self.stats.duplicates,
            )
            stop.wait(interval_s)

    def _start_ms(self, checkpoint: Checkpoint) -> int:
        if checkpoint.high_water_ms is not None:
            return checkpoint.high_water_ms - self.overlap_ms
        if self.since_ms is not None:
            return self.since_ms
        return int(self.clock() * 1000) - 24 * 60 * MINUTE_MS

    def poll_endpoint(self, endpoint: Endpoint) -> None:
        checkpoint = self.checkpoints.load(endpoint.name)
        topic = getattr(self.topics, endpoint.topic)
        self._settle(endpoint.name, checkpoint, topic)
        start = self._start_ms(checkpoint)
        params = dict(endpoint.params)
        params["$filter"] = f"{endpoint.time_field} ge {iso(start)}{endpoint.extra_filter}"
        newest = checkpoint.high_water_ms
        for page in self.client.pages(endpoint.path, params):
            fresh = self._fresh(endpoint, page.records, checkpoint, start)
            if fresh:
                self._send(endpoint, topic, fresh, checkpoint)
                times = [t for _, t, _ in fresh]
                newest = max(times) if newest is None else max(newest, *times)
            self.stats.pages += 1
        if newest is not None:
            checkpoint.high_water_ms = newest
            checkpoint.forget_before(newest - self.overlap_ms)
        self.checkpoints.save(endpoint.name, checkpoint)

    def _fresh(
        self,
        endpoint: Endpoint,
        records: Iterable[dict[str, Any]],
        checkpoint: Checkpoint,
        start: int,
    ) -> list[tuple[str | None, int, dict[str, Any]]]:
        """(id, time, record) of the records not sent yet, each id once."""
        fresh: list[tuple[str | None, int, dict[str, Any]]] = []
        seen: set[str] = set()
        for record in records:
            self.stats.records += 1
            record_id = record.get("id")
            if not isinstance(record_id, str):
                record_id = None
            elif record_id in checkpoint.sent or record_id in seen:
                self.stats.duplicates += 1
                continue
            else:
                seen.add(record_id)
            fresh.append((record_id, _time_or(record.get(endpoint.time_field), start), record))
        return fresh

    def _send(
        self,
        endpoint: Endpoint,
        topic: str,
        fresh: list[tuple[str | None, int, dict[str, Any]]],
        checkpoint: Checkpoint,
    ) -> None:
        """Produce one page: its ids pending in the checkpoint until the broker acknowledged
        them, with the topic's end offsets, so a crash in between can be settled."""
        ids = {record_id: t for record_id, t, _ in fresh if record_id is not None}
        if self.ledger is not None:
            checkpoint.pending, checkpoint.pending_from = ids, self.ledger.ends(topic)
            self.checkpoints.save(endpoint.name, checkpoint)
        for record_id, _, record in fresh:
            headers: list[tuple[str, str | bytes | None]] | None = (
                [(ID_HEADER, record_id.encode())] if record_id is not None else None
            )
            self.sink.produce(topic, orjson.dumps(record), endpoint.key(record), headers)
            self.stats.produced += 1
        self.sink.flush()
        checkpoint.sent.update(ids)
        checkpoint.pending, checkpoint.pending_from = {}, {}
        self.checkpoints.save(endpoint.name, checkpoint)

    def _settle(self, name: str, checkpoint: Checkpoint, topic: str) -> None:
        """After a crash mid-page: the pending ids found on the topic were delivered."""
        if not checkpoint.pending:
            return
        delivered: set[str] = set()
        if self.ledger is not None:
            delivered = self.ledger.ids_since(topic, checkpoint.pending_from)
        found = {i: t for i, t in checkpoint.pending.items() if i in delivered}
        log.info(
            "%s: %d of %d pending records were delivered", name, len(found), len(checkpoint.pending)
        )
        checkpoint.sent.update(found)
        checkpoint.pending, checkpoint.pending_from = {}, {}
        self.checkpoints.save(name, checkpoint)


def _time_or(value: object, default: int) -> int:
    # A record without a readable time is still produced (normalize dead-letters it); it is
    # remembered as of the pass start, so it ages out of the checkpoint with the overlap.
    try:
        return parse_time(value)
    except InvalidRecord:
        return default
