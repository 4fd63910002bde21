"""Streaming figures for `make bench`, on one broker and the same simulated records.

- raw_eps: confluent-kafka consume + orjson decode of the raw topics (the practical limit);
- run_memory_eps / run_redis_eps: the job (all three stages, one process) end to end;
- workers_eps / workers_redis_eps: `correlator run --workers N` (separate processes) for
  N = 1 and 2, with memory and with Redis state;
- faust_bare_eps / faust_runtime_eps: a bare faust agent, and the faust runtime end to end
  (see faust_bench.py), on the same raw topics as raw_eps and run_memory_eps;
- latency: from producing an attacker's sign-in to its alert on the alerts topic, while a
  steady background load is streamed at a fixed rate: at ``--rate`` and at 80 % of one
  worker's measured capacity.
"""

from __future__ import annotations

import dataclasses
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import faust_bench  # sibling scripts: `make bench` runs from this folder
import orjson
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition
from probes import build_probes
from scale import free_ports, job_command, wait_assigned, workers_rate

from correlator.config import Settings
from correlator.errors import InvalidRecord
from correlator.normalize import event_order
from correlator.runconfig import RunSettings
from correlator.runtime.broker import create_topics
from correlator.runtime.runner import Runner
from correlator.runtime.topics import Topics
from correlator.simulate import Simulation
from correlator.sources import decode_payload, parse_record

PARTITIONS = 3
Message = tuple[str, bytes, bytes | None]


def fresh_run(bootstrap: str, state: str = "memory") -> RunSettings:
    prefix = f"bench-{uuid.uuid4().hex[:8]}"
    names = {f.name: f"{prefix}.{f.name}" for f in dataclasses.fields(Topics)}
    create_topics(bootstrap, {name: PARTITIONS for name in names.values()})
    return RunSettings(
        group_id=prefix,
        state=state,
        topics=Topics(**names),
        batch_size=1000,
        batch_timeout_ms=50,
        metrics_port=0,
        kafka={"session.timeout.ms": "6000", "heartbeat.interval.ms": "500"},
    )


def produce(bootstrap: str, messages: list[Message], run: RunSettings) -> None:
    producer = Producer(
        {"bootstrap.servers": bootstrap, "linger.ms": 20, "batch.num.messages": 10_000}
    )
    for topic, value, key in messages:
        while True:
            try:
                producer.produce(getattr(run.topics, topic), value, key=key)
                break
            except BufferError:
                producer.poll(0.05)
    producer.flush(60)


def raw_rate(bootstrap: str, run: RunSettings, expected: int) -> float:
    """Consume every raw message and decode it, with nothing else: the ceiling."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"{run.group_id}-raw",
            "enable.auto.commit": False,
        }
    )
    consumer.assign(
        [TopicPartition(t, p, OFFSET_BEGINNING) for t in run.topics.raw for p in range(PARTITIONS)]
    )
    seen, started = 0, 0.0
    try:
        while seen < expected:
            batch = consumer.consume(1000, 1.0)
            if batch and not started:
                started = time.perf_counter()
            for message in batch:
                if message.error() is None:
                    orjson.loads(message.value())
                    seen += 1
        return seen / (time.perf_counter() - started)
    finally:
        consumer.close()


def job_rate(bootstrap: str, run: RunSettings, settings: Settings, expected: int) -> float:
    """Events/s of `correlator run --stage all`, from its first consumed batch to the last commit
    of the correlate stage (the group join before the first batch is not counted)."""
    runner = Runner(run, settings, bootstrap=bootstrap)
    normalize, correlate, keyed = runner.normalizer, runner.correlator, runner.keyed
    assert normalize is not None and correlate is not None and keyed is not None
    started = 0.0
    try:
        while True:
            runner.step()
            if not started and normalize.stats.batches:
                started = time.perf_counter() - normalize.stats.last_batch_s
            events = sum(normalize.events.values())
            if (
                normalize.stats.committed_messages >= expected
                and correlate.stats.committed_messages >= events
                and keyed.stats.committed_messages >= correlate.forwarded
            ):
                return expected / (time.perf_counter() - started)
    finally:
        runner.close()


@dataclasses.dataclass
class Probe:
    user: str
    sent_at: float = 0.0
    seen_at: float = 0.0


@dataclasses.dataclass(frozen=True)
class LiveFeed:
    """The tenant's sign-ins as a live feed: each send gets a fresh id and the stream clock's
    time, as a tenant's sign-in stream does. Replaying the records as they are would send each
    user's history again, as duplicates or too late, and days behind the probes' attacks: the
    job would hold every attack until the whole backlog was read (event-time alignment)."""

    templates: list[tuple[str, bytes, bytes | None]]  # topic, value with markers, key
    base: datetime  # the stream clock when the load starts

    @classmethod
    def of(cls, sim: Simulation, base: datetime) -> LiveFeed:
        templates = []
        for record in sim.signins:
            marked = {**record, "id": "@@ID@@", "createdDateTime": "@@TIME@@"}
            key = str(record.get("userPrincipalName", "")).encode() or None
            templates.append(("signins", orjson.dumps(marked), key))
        return cls(templates, base)

    def message(self, index: int, elapsed_s: float) -> Message:
        topic, template, key = self.templates[index % len(self.templates)]
        when = (self.base + timedelta(seconds=elapsed_s)).strftime("%Y-%m-%dT%H:%M:%S.%f")
        value = template.replace(b"@@ID@@", f"live-{index}".encode())
        return topic, value.replace(b"@@TIME@@", when[:-3].encode() + b"Z"), key


def latency(
    bootstrap: str,
    config: Path,
    background: LiveFeed,
    probes: list[tuple[list[Message], list[Message], str]],
    rate: float,
    seconds: float,
    workers: int = 1,
) -> tuple[list[float], float]:
    """Stream ``background`` at ``rate`` msg/s; every so often send a probe's history (early)
    and its attack (later), and time each attack's alert. The job runs as `correlator run
    --workers N` in its own processes, as deployed: the producer and the alert watcher here
    must not take the job's interpreter. Returns the delays and the rate the load reached."""
    run = fresh_run(bootstrap)
    port = free_ports(workers)
    job = subprocess.Popen(
        job_command(bootstrap, run, config, workers, port), stderr=subprocess.DEVNULL
    )
    stop = threading.Event()
    state = {p[2]: Probe(p[2]) for p in probes}
    watcher = threading.Thread(
        target=_watch_alerts, args=(bootstrap, run, state, stop), daemon=True
    )
    try:
        wait_assigned([port + i for i in range(workers)], len(run.topics.raw) * PARTITIONS)
        watcher.start()
        produce(bootstrap, [m for history, _, _ in probes for m in history], run)
        time.sleep(5)  # the probes' baselines are in place
        reached = _steady(bootstrap, run, background, probes, state, rate, seconds)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and any(not p.seen_at for p in state.values()):
            time.sleep(0.1)
    finally:
        stop.set()
        job.terminate()
        job.wait(60)
        if watcher.is_alive():
            watcher.join(10)
    delays = sorted(p.seen_at - p.sent_at for p in state.values() if p.seen_at and p.sent_at)
    return delays, reached


def _steady(
    bootstrap: str,
    run: RunSettings,
    background: LiveFeed,
    probes: list[tuple[list[Message], list[Message], str]],
    state: dict[str, Probe],
    rate: float,
    seconds: float,
) -> float:
    """Sends the load; returns the rate reached (below ``rate`` when this process lags)."""
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 1})
    total = int(rate * seconds)
    every = max(1, total // (len(probes) + 1))
    started = time.perf_counter()
    for index in range(total):
        topic, value, key = background.message(index, time.perf_counter() - started)
        _send(producer, getattr(run.topics, topic), value, key)
        probe_no = index // every - 1
        if index % every == 0 and 0 <= probe_no < len(probes):
            _, attack, user = probes[probe_no]
            for topic, value, key in attack:
                _send(producer, getattr(run.topics, topic), value, key)
            producer.flush(10)
            state[user].sent_at = time.monotonic()
        ahead = (index + 1) / rate - (time.perf_counter() - started)
        if ahead > 0.002:
            producer.poll(0)
            time.sleep(ahead)
    producer.flush(30)
    return total / (time.perf_counter() - started)


def _send(producer: Producer, topic: str, value: bytes, key: bytes | None) -> None:
    while True:
        try:
            producer.produce(topic, value, key=key)
            return
        except BufferError:
            producer.poll(0.01)


def _watch_alerts(
    bootstrap: str, run: RunSettings, state: dict[str, Probe], stop: threading.Event
) -> None:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"{run.group_id}-watch",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 10,
        }
    )
    consumer.assign(
        [TopicPartition(run.topics.alerts, p, OFFSET_BEGINNING) for p in range(PARTITIONS)]
    )
    try:
        while not stop.is_set():
            for message in consumer.consume(100, 0.05):
                if message.error() is None:
                    probe = state.get((message.key() or b"").decode())
                    if probe is not None and not probe.seen_at:
                        probe.seen_at = time.monotonic()
    finally:
        consumer.close()


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, round(share * (len(values) - 1)))]


def summary(values: list[float]) -> str:
    if not values:
        return "no alerts"
    return (
        f"n={len(values)} p50={percentile(values, 0.5):.3f}s "
        f"p99={percentile(values, 0.99):.3f}s mean={statistics.mean(values):.3f}s"
    )


def tenant_messages(sim: Simulation, *, vpn: bool = False) -> list[Message]:
    """The tenant as raw messages in event-time order, keyed by user; with ``vpn`` its VPN
    gateway lines too (not JSON: the throughput figures decode the raw topics with orjson)."""
    keyed = []
    for line in sim.vpn if vpn else []:
        value = line.encode()
        try:
            event = parse_record(decode_payload(value)[0])[0]
            order, key = event_order(event), event.user.encode()
        except (InvalidRecord, IndexError):
            order, key = (0, 0, ""), None
        keyed.append((order, "vpn", value, key))
    topics = (
        ("signins", sim.signins),
        ("audits", sim.audits),
        ("tickets", sim.tickets),
        ("calls", sim.calls),
    )
    for topic, records in topics:
        for record in records:
            try:
                event = parse_record(record)[0]
                order, key = event_order(event), event.user.encode()
            except (InvalidRecord, IndexError):
                order, key = (0, 0, ""), None
            keyed.append((order, topic, orjson.dumps(record), key))
    keyed.sort(key=lambda item: item[0])
    return [(topic, value, key) for _, topic, value, key in keyed]


def stream_figures(
    sim: Simulation,
    settings: Settings,
    out: Path,
    *,
    bootstrap: str,
    redis_url: str | None,
    rate: float,
    seconds: float,
    faust_only: bool = False,
) -> dict[str, object]:
    """The figures above, the job reading its settings from ``out``/correlator.yaml. With
    ``faust_only``: raw_eps, run_memory_eps and the faust figures, nothing else."""
    config = out / "correlator.yaml"
    messages = tenant_messages(sim)
    figures: dict[str, object] = {}
    run = fresh_run(bootstrap)
    produce(bootstrap, messages, run)
    figures["raw_eps"] = raw_rate(bootstrap, run, len(messages))
    figures["run_memory_eps"] = memory_eps = job_rate(bootstrap, run, settings, len(messages))
    say(f"raw consume+decode {figures['raw_eps']:,.0f}/s; run (memory) {memory_eps:,.0f}/s")
    figures.update(faust_figures(bootstrap, messages, run, config))
    if faust_only:
        return figures
    if redis_url:
        run = fresh_run(bootstrap, state=redis_url)
        produce(bootstrap, messages, run)
        try:
            figures["run_redis_eps"] = job_rate(bootstrap, run, settings, len(messages))
        finally:
            _drop_namespace(redis_url, run.group_id)
        say(f"run (redis) {figures['run_redis_eps']:,.0f}/s")
    figures.update(workers_figures(bootstrap, messages, out, redis_url))
    # The load runs on a clock after the tenant's last day and the probes' histories; each
    # probe's reset and attack fall in the half hour before the clock's start.
    base = max(
        datetime.fromisoformat(r["createdDateTime"].replace("Z", "+00:00")) for r in sim.signins
    ) + timedelta(days=9)
    probes = build_probes(sim, 20, base - timedelta(days=7, minutes=30))
    background = LiveFeed.of(sim, base)
    workers = figures.get("workers_eps")
    rates: dict[int, float] = (
        {int(n): float(eps) for n, eps in workers.items()} if isinstance(workers, dict) else {}
    )
    # 80 % of one worker's capacity (`run --workers 1`, memory state): a queue must not build.
    load = round(0.8 * (rates.get(1) or memory_eps))
    delays, reached = latency(bootstrap, config, background, probes, load, seconds)
    say(f"alert latency at {load:,} events/s (80 % of one worker): {summary(delays)}")
    figures["latency_rate_eps_at_80pct"] = load
    figures["latency_reached_eps_at_80pct"] = round(reached)
    figures["latency_p50_s_at_80pct"] = round(percentile(delays, 0.5), 3)
    figures["latency_p99_s_at_80pct"] = round(percentile(delays, 0.99), 3)
    # At --rate, with the fewest workers measured to sustain it (else the most measured).
    count = min((n for n, eps in rates.items() if eps >= rate), default=max(rates, default=1))
    delays, reached = latency(bootstrap, config, background, probes, rate, seconds, workers=count)
    say(f"alert latency at {rate:,.0f} events/s, {count} worker(s): {summary(delays)}")
    figures["latency_rate_eps"] = rate
    figures["latency_reached_eps"] = round(reached)
    figures["latency_workers"] = count
    figures["latency_p50_s"] = round(percentile(delays, 0.5), 3)
    figures["latency_p99_s"] = round(percentile(delays, 0.99), 3)
    figures["latency_alerts"] = len(delays)
    return figures


def faust_figures(
    bootstrap: str, messages: list[Message], run: RunSettings, config: Path
) -> dict[str, float]:
    """The bare faust agent on the raw topics the native job read, then the faust runtime on
    a fresh copy of them (its outputs must not mix with the native job's)."""
    bare = faust_bench.measure("bare", bootstrap, run.group_id, len(messages), config)
    fresh = fresh_run(bootstrap)
    produce(bootstrap, messages, fresh)
    runtime = faust_bench.measure("runtime", bootstrap, fresh.group_id, len(messages), config)
    say(
        f"faust: bare agent (consume+decode) {bare:,.0f}/s; faust runtime {runtime:,.0f}/s "
        f"({runtime / bare:.2f}x bare)"
    )
    return {
        "faust_bare_eps": round(bare),
        "faust_runtime_eps": round(runtime),
        "faust_runtime_vs_bare": round(runtime / bare, 3),
    }


def workers_figures(
    bootstrap: str, messages: list[Message], out: Path, redis_url: str | None
) -> dict[str, object]:
    """`run --workers N` for N = 1, 2 on fresh topics holding the same messages."""
    figures: dict[str, object] = {}
    states = [("memory", "workers_eps")] + ([(redis_url, "workers_redis_eps")] if redis_url else [])
    for state, key in states:
        rates: dict[str, int] = {}
        for workers in (1, 2):
            run = fresh_run(bootstrap, state=state)

            def send(run: RunSettings = run) -> int:
                produce(bootstrap, messages, run)
                return len(messages)

            try:
                rate = workers_rate(
                    bootstrap, run, out / "correlator.yaml", workers, send, PARTITIONS
                )
            finally:
                if state != "memory":
                    _drop_namespace(state, run.group_id)
            rates[str(workers)] = round(rate)
        figures[key] = rates
        say(f"run --workers 1/2, {state.split('@')[-1]} state: {rates} events/s")
    return figures


def _drop_namespace(redis_url: str, namespace: str) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        keys = list(client.scan_iter(match=f"{namespace}:*", count=1000))
        for start in range(0, len(keys), 1000):
            client.delete(*keys[start : start + 1000])
    finally:
        client.close()


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)
