"""A small simulated tenant as raw Kafka messages, and the alerts the core gives for it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from correlator.config import Settings, load_settings
from correlator.engine.engine import Engine
from correlator.engine.keyed import KeyedEngine
from correlator.errors import InvalidRecord
from correlator.model import Event, Finding, Severity
from correlator.normalize import Normalizer, event_order
from correlator.runtime.topics import Topics
from correlator.simulate import SimulationConfig, simulate, write_simulation
from correlator.sources import parse_record
from correlator.wiring import build_engine, build_keyed_engine, build_normalizer


@dataclass(frozen=True)
class Tenant:
    directory: Path
    settings: Settings
    records: list[tuple[str, dict[str, object]]]  # (logical topic, record), in event-time order
    times: list[int] = field(default_factory=list)  # each record's event time (0: unparsed)

    def messages(
        self, topics: Topics, records: list[tuple[str, dict[str, object]]] | None = None
    ) -> list[tuple[str, bytes, bytes | None]]:
        """Raw messages keyed by user, as a source connector keyed by account would send them."""
        chosen = self.records if records is None else records
        return [(getattr(topics, name), orjson.dumps(r), _key(r)) for name, r in chosen]

    def findings(self) -> list[Finding]:
        """Every finding replay publishes for the tenant, in order."""
        engine, keyed = build_engine(self.settings), build_keyed_engine(self.settings)
        found: list[Finding] = []
        for _, event in sorted(self._events(), key=lambda p: p[0]):
            found += engine.process(event)
            for item in engine.take_forwards():
                found += keyed.process(item)  # what the keyed stage publishes, as replay does
        return found

    def by_file(self, first: str) -> list[tuple[str, dict[str, object]]]:
        """The records one topic after another, ``first`` first: a file-by-file backlog."""
        order = [first] + [t for t in ("signins", "audits", "tickets", "calls") if t != first]
        return [item for name in order for item in self.records if item[0] == name]

    def expected_alerts(self) -> dict[str, int]:
        """Replay semantics: every event in event-time order through one engine."""
        engine, keyed = build_engine(self.settings), build_keyed_engine(self.settings)
        events = [e for _, e in sorted(self._events(), key=lambda p: p[0])]
        return final_alerts(engine, events, keyed)

    def _events(self) -> list[tuple[tuple[int, int, str], Event]]:
        # The job's own normalizer: the tenant's aliases (VPN short names) key events as there.
        normalizer = build_normalizer(self.settings)
        now = int(time.time() * 1000)
        events = []
        for _, record in self.records:
            try:
                events += [(event_order(e), e) for e in normalizer.normalize(record, now)]
            except InvalidRecord:
                continue  # the stream dead-letters these; they take no part in detection
        return events


def _key(record: dict[str, object]) -> bytes | None:
    try:
        return parse_record(record)[0].user.encode()
    except InvalidRecord:
        return None


def final_alerts(
    engine: Engine, events: list[Event], keyed: KeyedEngine | None = None
) -> dict[str, int]:
    """The final alerts of replay: the user engine, and the keyed engine on its forwards."""
    latest = {}
    for event in events:
        found = engine.process(event)
        for item in engine.take_forwards():
            found += keyed.process(item) if keyed is not None else []
        latest.update((finding.uid, finding) for finding in found)
    return {
        uid: int(f.severity)
        for uid, f in latest.items()
        if f.activity != "close" and f.severity >= Severity.MEDIUM
    }


def published_alerts(alerts: dict[str, dict[str, object]]) -> dict[str, int]:
    return {
        uid: int(a["severity_id"])
        for uid, a in alerts.items()  # type: ignore[call-overload]
        if a["activity_id"] != 3 and int(a["severity_id"]) >= Severity.MEDIUM
    }  # type: ignore[call-overload]


def make_tenant(
    directory: Path, *, users: int = 40, days: int = 10, seed: int = 3, attacks: int | None = None
) -> Tenant:
    sim = simulate(SimulationConfig(users=users, days=days, seed=seed, attacks=attacks))
    write_simulation(sim, directory)
    records = [("signins", r) for r in sim.signins] + [("audits", r) for r in sim.audits]
    records += [("tickets", r) for r in sim.tickets] + [("calls", r) for r in sim.calls]
    normalizer = Normalizer(max_future_ms=10**12)
    now = int(time.time() * 1000)

    def order(item: tuple[str, dict[str, object]]) -> tuple[int, int, str]:
        try:
            return event_order(normalizer.normalize(item[1], now)[0])
        except InvalidRecord:  # records that do not parse go first
            return (0, 0, "")

    keyed = sorted(((order(item), item) for item in records), key=lambda pair: pair[0])
    return Tenant(
        directory,
        load_settings(directory / "correlator.yaml"),
        [item for _, item in keyed],
        [when for (when, _, _), _ in keyed],
    )
