"""`correlator ingest files`: exported logs onto the raw topics, with replay's reading rules.

Files are read with ``sources.files`` (JSON, JSON lines, gzip, Graph pages, Azure Monitor
envelopes, Log Analytics rows, the Entra admin center's CSV and JSON downloads). Each record's
format decides its raw topic; it is produced alone, keyed by its user, and all records go out
in event-time order, so the stream sees what replay sees (Graph pages are newest first).
Records the job would refuse are listed with ``file:line`` and not produced; records the job
would ignore (routine audit activities, service principals) are counted and not produced.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import orjson

from correlator.errors import InvalidRecord
from correlator.runtime.topics import Topics
from correlator.sources import SyslogLine, parse_record
from correlator.sources.files import Skipped, file_records, input_files
from correlator.sources.reasons import is_ignored
from correlator.sources.sniff import (
    GRAPH_AUDIT,
    GRAPH_CALL,
    GRAPH_DIRECT_ROUTING,
    GRAPH_PSTN,
    GRAPH_SESSION,
    GRAPH_SIGNIN,
    HELPDESK,
    LA_AUDIT,
    LA_SIGNIN,
    MONITOR_AUDIT,
    MONITOR_SIGNIN,
    sniff,
)
from correlator.sources.vpn import CISCO_ASA, FORTIGATE_SSLVPN, PANOS_GLOBALPROTECT

TOPIC_OF_FORMAT = {
    GRAPH_SIGNIN: "signins",
    MONITOR_SIGNIN: "signins",
    LA_SIGNIN: "signins",
    GRAPH_AUDIT: "audits",
    MONITOR_AUDIT: "audits",
    LA_AUDIT: "audits",
    HELPDESK: "tickets",
    GRAPH_CALL: "calls",
    GRAPH_SESSION: "calls",
    GRAPH_PSTN: "calls",
    GRAPH_DIRECT_ROUTING: "calls",
    PANOS_GLOBALPROTECT: "vpn",
    CISCO_ASA: "vpn",
    FORTIGATE_SSLVPN: "vpn",
}


class Sink(Protocol):
    def produce(self, topic: str, value: bytes, key: bytes | str | None = None) -> None: ...

    def flush(self) -> None: ...


@dataclass(frozen=True)
class Outgoing:
    time: int
    topic: str  # the attribute of Topics
    key: str
    value: bytes


@dataclass(frozen=True)
class Refused:
    location: str
    reason: str
    detail: str


@dataclass
class IngestPlan:
    messages: list[Outgoing] = field(default_factory=list)
    refused: list[Refused] = field(default_factory=list)
    ignored: Counter[str] = field(default_factory=Counter)
    skipped: list[Skipped] = field(default_factory=list)
    records: int = 0

    def by_topic(self) -> Counter[str]:
        return Counter(m.topic for m in self.messages)


def plan(paths: Iterable[Path]) -> IngestPlan:
    """Every record of the files, sorted by event time, or the reason it is left out."""
    files, skipped = input_files(paths)
    result = IngestPlan(skipped=skipped)
    for path in files:
        for line, record in file_records(path):
            result.records += 1
            try:
                result.messages.append(_outgoing(record))
            except InvalidRecord as exc:
                if is_ignored(exc):
                    result.ignored[exc.reason] += 1
                else:
                    result.refused.append(Refused(f"{path}:{line}", exc.reason, exc.detail))
    result.messages.sort(key=lambda m: m.time)
    return result


def _outgoing(record: object) -> Outgoing:
    if isinstance(record, InvalidRecord):
        raise record
    topic = TOPIC_OF_FORMAT.get(sniff(record))
    events = parse_record(record)  # the one place that knows each format's user and time
    if topic is None or not events:
        raise InvalidRecord("unknown_format", "no events in this record")
    first = min(events, key=lambda e: e.time)
    # A gateway's syslog line goes out as the gateway sent it, not as JSON.
    value = bytes(record) if isinstance(record, SyslogLine) else orjson.dumps(record)
    return Outgoing(first.time, topic, first.user, value)


def produce(
    messages: list[Outgoing],
    sink: Sink,
    topics: Topics,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    total = len(messages)
    for index, message in enumerate(messages, 1):
        sink.produce(getattr(topics, message.topic), message.value, message.key)
        if progress is not None and (index % 1000 == 0 or index == total):
            progress(index, total)
    sink.flush()
    return total
