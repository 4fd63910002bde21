"""Per-stage CPU cost of the core on the simulated tenant: where one event's time goes.

Stages, each timed alone over the same records in event-time order (best of ``--rounds``):
decode (``orjson.loads``, the reference), normalize (bytes to canonical events: decode and
parse in one step for sign-ins), enrich (GeoIP/ASN/anonymizer), store (per-user state and
baselines, join bookkeeping), rules (incident assessment, ``Engine._evaluate``), encode
(OCSF alerts, and every user's state once, as a Redis flush writes it).

``python benchmarks/stages.py`` prints a Markdown table and, last, one JSON line; ``bench.py``
uses ``stage_costs`` for its CPU cost model.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import orjson
from bench import decode_pass, tenant, time_order  # a sibling script in this folder

from correlator.alerts.encode import encode_alert
from correlator.cli import tune_gc
from correlator.config import load_settings
from correlator.engine.engine import Engine
from correlator.engine.repository import MemoryStates
from correlator.engine.state import encode_state
from correlator.errors import InvalidRecord
from correlator.model import Event, Finding, SignIn
from correlator.normalize import Normalizer
from correlator.wiring import build_enricher

STAGES = ("decode", "normalize", "enrich", "store", "rules", "encode")


def best(rounds: int, work: Callable[[], object]) -> float:
    """The shortest of ``rounds`` runs, in seconds: the least disturbed by other load."""
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def events_of(raw: list[bytes], normalizer: Normalizer, now_ms: int) -> list[Event]:
    events: list[Event] = []
    for data in raw:
        try:
            outcomes = normalizer.normalize_bytes(data, now_ms)
        except InvalidRecord:
            continue
        events.extend(e for o in outcomes if not isinstance(o, Exception) for e in o)
    return events


def engine_pass(out: Path, events: list[Event], rules: bool) -> tuple[list[Finding], MemoryStates]:
    settings = load_settings(out / "correlator.yaml")
    states = MemoryStates()
    # Without rules: the state and join bookkeeping alone, no incident is ever assessed.
    engine = Engine(settings.detection, states=states, rules=None if rules else ())
    findings = [f for event in events for f in engine.process(event)]
    return findings, states


def stage_costs(raw: list[bytes], out: Path, rounds: int) -> dict[str, float]:
    """Seconds per event of each stage, over ``len(raw)`` records."""
    now_ms = int(time.time() * 1000)
    normalizer = Normalizer(max_future_ms=10**12)
    raw = time_order(raw, normalizer, now_ms)
    enricher = build_enricher(load_settings(out / "correlator.yaml"))
    events = events_of(raw, normalizer, now_ms)
    enriched = [enricher.enrich(e) if isinstance(e, SignIn) else e for e in events]
    findings, states = engine_pass(out, enriched, rules=True)
    seconds = {
        "decode": best(rounds, lambda: decode_pass(raw)),
        "normalize": best(rounds, lambda: events_of(raw, normalizer, now_ms)),
        "enrich": best(
            rounds, lambda: [enricher.network(e) for e in events if isinstance(e, SignIn)]
        ),
        "store": best(rounds, lambda: engine_pass(out, enriched, rules=False)),
    }
    seconds["rules"] = max(
        0.0, best(rounds, lambda: engine_pass(out, enriched, True)) - seconds["store"]
    )
    seconds["encode"] = best(
        rounds,
        lambda: (
            [encode_alert(f, product_version="bench") for f in findings],
            [encode_state(states.get(u)) for u in states],
        ),
    )
    return {stage: value / len(raw) for stage, value in seconds.items()}


def table(costs: dict[str, float]) -> str:
    core = sum(v for k, v in costs.items() if k != "decode")
    lines = ["| stage | µs/record | share of the core |", "|---|---:|---:|"]
    for stage in STAGES:
        share = "(reference)" if stage == "decode" else f"{100 * costs[stage] / core:.0f} %"
        lines.append(f"| {stage} | {costs[stage] * 1e6:.1f} | {share} |")
    lines.append(f"| core (normalize…encode) | {core * 1e6:.1f} | 100 % |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench-out"))
    args = parser.parse_args()
    tune_gc()
    _, raw, out = tenant(args.out / "tenant", args.users, args.days)
    costs = stage_costs(raw, out, args.rounds)
    print(table(costs))
    print(orjson.dumps({k: round(v * 1e6, 2) for k, v in costs.items()}).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main())
