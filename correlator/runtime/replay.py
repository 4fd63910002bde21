"""The replay runtime: files in, alerts out, for backtests, investigations and tests.

All inputs are read and parsed first, then fed to the engine in event-time order, so file order
and Graph's newest-first paging do not change the result.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from correlator.engine.engine import Engine
from correlator.engine.keyed import KeyedEngine
from correlator.errors import InvalidRecord
from correlator.model import Event, Finding, Severity, event_kind
from correlator.normalize import Normalizer, event_order
from correlator.sources.files import Skipped, file_records, input_files
from correlator.sources.reasons import is_ignored
from correlator.terminal import safe

MAX_LISTED_REJECTS = 20


@dataclass
class Reject:
    reason: str
    location: str
    detail: str


@dataclass
class ReplayResult:
    findings: list[Finding] = field(default_factory=list)
    events: Counter[str] = field(default_factory=Counter)
    rejects: list[Reject] = field(default_factory=list)
    ignored: Counter[str] = field(default_factory=Counter)  # valid records of no use here
    skipped: list[Skipped] = field(default_factory=list)
    records: int = 0

    def rejected_by_reason(self) -> Counter[str]:
        return Counter(r.reason for r in self.rejects)

    def latest(self) -> dict[str, Finding]:
        """The last version of every finding, by uid."""
        latest: dict[str, Finding] = {}
        for finding in self.findings:
            latest[finding.uid] = finding
        return latest

    def alerts_by_severity(self) -> Counter[str]:
        return Counter(
            Severity(f.severity).name.lower()
            for f in self.latest().values()
            if f.activity != "close"
        )

    def stats(self) -> dict[str, object]:
        return {
            "records": self.records,
            "events": dict(sorted(self.events.items())),
            "rejected": dict(sorted(self.rejected_by_reason().items())),
            "ignored": dict(sorted(self.ignored.items())),
            "skipped_files": [f"{s.path}: {s.reason}" for s in self.skipped],
            "alerts": dict(sorted(self.alerts_by_severity().items())),
            "alert_messages": len(self.findings),
        }


def parse_files(
    files: Iterable[Path], normalizer: Normalizer, now_ms: int, result: ReplayResult
) -> list[Event]:
    events: list[Event] = []
    for path in files:
        for line, record in file_records(path):
            result.records += 1
            location = f"{path}:{line}"
            try:
                if isinstance(record, InvalidRecord):
                    raise record
                events.extend(normalizer.normalize(record, now_ms))
            except InvalidRecord as exc:
                if is_ignored(exc):
                    result.ignored[exc.reason] += 1
                else:
                    result.rejects.append(Reject(exc.reason, location, exc.detail))
            except Exception as exc:  # noqa: BLE001 - a parser defect, as the stream reports it
                detail = f"{type(exc).__name__}: {exc}"
                result.rejects.append(Reject(INTERNAL_ERROR, location, detail))
    return events


INTERNAL_ERROR = "internal_error"  # the stream's dead-letter reason for the same defect
E = TypeVar("E")


def replay(
    paths: Iterable[Path],
    engine: Engine,
    normalizer: Normalizer,
    now_ms: int,
    *,
    keyed: KeyedEngine | None = None,
) -> ReplayResult:
    """Every event through the user engine in event-time order; what it forwards goes through
    the keyed engine (per phone number, agent, tenant) as the keyed stage would receive it."""
    result = ReplayResult()
    files, result.skipped = input_files(paths)
    events = parse_files(files, normalizer, now_ms, result)
    events.sort(key=event_order)
    for event in events:
        result.events[event_kind(event)] += 1
        _judged(result, event.id, engine.process, event)
        for item in engine.take_forwards():
            if keyed is not None:
                _judged(result, f"{item.key} {item.event.id}", keyed.process, item)
    return result


def _judged(
    result: ReplayResult, what: str, process: Callable[[E], list[Finding]], event: E
) -> None:
    """An event the engine refuses (too late) or fails on (a defect) is listed, as the stream
    dead-letters it, and the replay goes on."""
    try:
        result.findings.extend(process(event))
    except InvalidRecord as exc:
        result.rejects.append(Reject(exc.reason, f"event {what}", exc.detail))
    except Exception as exc:  # noqa: BLE001 - a defect on this event, as the stream reports it
        detail = f"{type(exc).__name__}: {exc}"
        result.rejects.append(Reject(INTERNAL_ERROR, f"event {what}", detail))


def format_summary(result: ReplayResult) -> str:
    lines = [f"records read: {result.records}"]
    for skipped in result.skipped:
        lines.append(f"skipped {skipped.path}: {skipped.reason}")
    lines.append("events: " + _pairs(result.events))
    rejected = result.rejected_by_reason()
    lines.append(f"rejected: {sum(rejected.values())}" + _listed(rejected))
    for reject in result.rejects[:MAX_LISTED_REJECTS]:
        detail = f": {reject.detail}" if reject.detail else ""
        lines.append(f"  {reject.location}: {reject.reason}{detail}")
    if len(result.rejects) > MAX_LISTED_REJECTS:
        lines.append(f"  ... and {len(result.rejects) - MAX_LISTED_REJECTS} more")
    ignored = result.ignored
    lines.append(f"ignored: {sum(ignored.values())}" + _listed(ignored))
    alerts = result.alerts_by_severity()
    lines.append(f"alerts: {sum(alerts.values())}" + _listed(alerts))
    return "\n".join(safe(line) for line in lines)  # paths and details come from the input


def _listed(counter: Counter[str]) -> str:
    return f" ({_pairs(counter)})" if counter else ""


def _pairs(counter: Counter[str]) -> str:
    return ", ".join(f"{key} {value}" for key, value in sorted(counter.items())) or "none"
