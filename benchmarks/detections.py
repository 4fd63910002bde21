"""Per-detection figures on a simulated tenant: caught, false alarms, stream alert latency.

    python benchmarks/detections.py [--users 300 --days 14 --seed 3 --attacks N --rate 3000]

1. Replay: for each rule, the labelled patterns that expect it and how many reached the
   expected severity; its High (or worse) alerts on look-alikes and on unlabelled users.
2. Stream: the same records produced in event-time order at ``--rate`` messages/s into the
   job (`run --stage all`, memory state) on the embedded broker. A pattern's latency runs from
   producing the last record its label names to its alert reaching the expected severity on
   the alerts topic.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import orjson
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from stream import PARTITIONS, fresh_run, say, tenant_messages  # a sibling script

from correlator.config import load_settings
from correlator.errors import InvalidRecord
from correlator.model import Severity
from correlator.runtime.broker import EmbeddedBroker
from correlator.runtime.replay import replay
from correlator.runtime.runner import Runner
from correlator.simulate import SimulationConfig, simulate, write_simulation
from correlator.sources import decode_payload, parse_record
from correlator.wiring import build_engine, build_keyed_engine, build_normalizer

LEVEL = {"medium": Severity.MEDIUM, "high": Severity.HIGH}


def replay_table(tenant: Path, labels: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    settings = load_settings(tenant / "correlator.yaml")
    engine, keyed = build_engine(settings), build_keyed_engine(settings)
    now = int(time.time() * 1000)
    result = replay([tenant / "logs"], engine, build_normalizer(settings), now, keyed=keyed)
    worst: dict[tuple[str, str], int] = defaultdict(int)
    for finding in result.latest().values():
        if finding.activity != "close":
            key = (finding.user, finding.rule_id)
            worst[key] = max(worst[key], int(finding.severity))
    by_user = {label["user"]: label for label in labels}
    table: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for label in labels:
        for rule, least in label["detections"].items():
            table[rule]["expected"] += 1
            table[rule]["caught"] += worst[(label["user"], rule)] >= LEVEL[least]
    for (user, rule), severity in worst.items():
        label = by_user.get(user)
        if severity >= Severity.HIGH and (label is None or rule not in label["detections"]):
            kind = "unlabelled" if label is None else label["kind"]
            table[rule][f"high_on_{kind}"] += 1
        if severity == Severity.MEDIUM and label is not None and label["kind"] == "lookalike":
            table[rule]["medium_on_lookalike"] += 1
    return table


def stream_latency(
    tenant: Path, sim: Any, labels: list[dict[str, Any]], rate: float
) -> dict[str, list[float]]:
    settings = load_settings(tenant / "correlator.yaml")
    messages = tenant_messages(sim, vpn=True)
    wanted = {i for label in labels for k in ("change_ids", "signin_ids", "call_ids")
              for i in label[k]}  # fmt: skip
    sent: dict[str, float] = {}
    seen: dict[tuple[str, str], float] = {}
    with EmbeddedBroker() as broker:
        run = fresh_run(broker.bootstrap)
        stop = threading.Event()
        runner = Runner(run, settings, bootstrap=broker.bootstrap, stop=stop)
        job = threading.Thread(target=runner.run_until_stopped, daemon=True)
        watcher = threading.Thread(
            target=_watch, args=(broker.bootstrap, run.topics.alerts, seen, stop), daemon=True
        )
        job.start()
        watcher.start()
        time.sleep(5)  # the consumer groups join
        _produce(broker.bootstrap, run, messages, wanted, sent, rate)
        time.sleep(15)
        stop.set()
        job.join(30)
        watcher.join(10)
    delays: dict[str, list[float]] = defaultdict(list)
    for label in labels:
        last = max((sent[i] for k in ("change_ids", "signin_ids", "call_ids")
                    for i in label[k] if i in sent), default=None)  # fmt: skip
        for rule, least in label["detections"].items():
            at = seen.get((label["user"], f"{rule}:{least}"))
            if last is not None and at is not None:
                delays[rule].append(max(0.0, at - last))
    return delays


def _produce(
    bootstrap: str, run: Any, messages: list[Any], wanted: set[str], sent: dict[str, float],
    rate: float,
) -> None:  # fmt: skip
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 1})
    started = time.perf_counter()
    for index, (topic, value, key) in enumerate(messages):
        producer.produce(getattr(run.topics, topic), value, key=key)
        record_id = _record_id(value)
        if record_id in wanted:
            producer.flush(10)
            sent[record_id] = time.monotonic()
        ahead = (index + 1) / rate - (time.perf_counter() - started)
        if ahead > 0.002:
            producer.poll(0)
            time.sleep(ahead)
    producer.flush(30)


def _record_id(value: bytes) -> object:
    """A record's id: its own, or for a VPN gateway line the id its parser gives the login."""
    try:
        return orjson.loads(value).get("id")
    except orjson.JSONDecodeError:
        try:
            return parse_record(decode_payload(value)[0])[0].id
        except (InvalidRecord, IndexError):
            return None


def _watch(
    bootstrap: str, topic: str, seen: dict[tuple[str, str], float], stop: threading.Event
) -> None:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "detections-watch",
                         "enable.auto.commit": False, "fetch.wait.max.ms": 10})  # fmt: skip
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
    try:
        while not stop.is_set():
            for message in consumer.consume(100, 0.05):
                if message.error() is not None:
                    continue
                alert, now = orjson.loads(message.value()), time.monotonic()
                rule = alert["finding_info"]["analytic"]["uid"]
                users = [o["value"] for o in alert["observables"] if o["type_id"] == 4]
                for level, least in LEVEL.items():
                    if alert["activity_id"] != 3 and alert["severity_id"] >= least and users:
                        seen.setdefault((users[0], f"{rule}:{level}"), now)
    finally:
        consumer.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=300)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument(
        "--attacks",
        type=int,
        default=None,
        help="Entra attacks to place; by default the whole catalogue, which alone includes "
        "the VPN takeover and the callback campaigns",
    )
    parser.add_argument("--rate", type=float, default=3000.0, help="stream messages/s")
    args = parser.parse_args()
    config = SimulationConfig(users=args.users, days=args.days, seed=args.seed,
                              attacks=args.attacks)  # fmt: skip
    sim = simulate(config)
    with tempfile.TemporaryDirectory() as work:
        tenant = Path(work)
        write_simulation(sim, tenant)
        table = replay_table(tenant, sim.labels)
        delays = stream_latency(tenant, sim, sim.labels, args.rate)
    say(f"tenant: {dataclasses.asdict(config)}; stream at {args.rate:,.0f} msg/s")
    print("| rule | patterns | caught (replay) | caught (stream) | High on look-alikes | "
          "High on unlabelled | Medium on look-alikes | stream latency p50 / max |")  # fmt: skip
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for rule in sorted(table):
        row, found = table[rule], sorted(delays.get(rule, []))
        lat = f"{found[len(found) // 2]:.2f} s / {found[-1]:.2f} s" if found else "n/a"
        print(f"| `{rule}` | {row['expected']} | {row['caught']} | {len(found)} | "
              f"{row['high_on_lookalike']} | {row['high_on_unlabelled']} | "
              f"{row['medium_on_lookalike']} | {lat} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
