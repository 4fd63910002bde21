"""Scale figures for `make bench`: `correlator run --workers N`, and growth with the tenant.

- workers: the job as separate processes (`correlator run --workers N`), timed from its
  first commit to the last, with memory and with Redis state;
- growth: core events/s and state bytes per user for tenants of 1,000 / 10,000 / 100,000
  users (one simulated day each, so that state sizes compare), then the 100,000 users' state
  written to a private `redis-server`: its memory per user, and the time to read every user
  back and decode it, as a restarted job does.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import redis
from confluent_kafka import Consumer, TopicPartition

from correlator.engine.repository import MemoryStates
from correlator.engine.state import decode_state, encode_state
from correlator.runconfig import TOPIC_FIELDS, RunSettings
from correlator.runtime.broker import free_port, free_ports, messages_on
from correlator.runtime.service import assigned_partitions
from correlator.state.redis import RedisStore

GROWTH_USERS = (1_000, 10_000, 100_000)
GROWTH_SLICE = 10_000  # users simulated at a time
_CHUNK = 1000  # users per MGET / pipeline, as a batch of the job loads them


def job_command(
    bootstrap: str, run: RunSettings, config: Path, workers: int, port: int
) -> list[str]:
    args = [
        sys.executable, "-m", "correlator", "run", "--bootstrap-servers", bootstrap,
        "--group-id", run.group_id, "--state", run.state, "--config", str(config),
        "--batch-size", "1000", "--metrics-port", str(port), "--workers", str(workers),
        "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500",
    ]  # fmt: skip
    for name in TOPIC_FIELDS:  # every topic: a default name would be another job's topic
        args += [f"--topic-{name}", getattr(run.topics, name)]
    return args


def committed(bootstrap: str, group: str, topics: tuple[str, ...], partitions: int) -> int:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        wanted = [TopicPartition(t, p) for t in topics for p in range(partitions)]
        return sum(max(tp.offset, 0) for tp in consumer.committed(wanted, 10))
    finally:
        consumer.close()


def workers_rate(
    bootstrap: str,
    run: RunSettings,
    config: Path,
    workers: int,
    send: Callable[[], int],
    partitions: int,
) -> float:
    """Raw messages/s of `run --workers N`, from its first commit to its last. The messages
    are sent (``send``) once every worker holds its partitions: the start-up of the processes
    and the group's rebalances are not counted. (A tenant so small that one commit covers it
    reads zero: there is no rate to see.)"""
    normalize, correlate = f"{run.group_id}.normalize", f"{run.group_id}.correlate"
    port = free_ports(workers)
    command = job_command(bootstrap, run, config, workers, port)
    job = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    try:
        wait_assigned([port + i for i in range(workers)], len(run.topics.raw) * partitions)
        expected = send()
        first, started = 0, 0.0
        while True:
            done = committed(bootstrap, normalize, run.topics.raw, partitions)
            if done and not started:
                first, started = done, time.perf_counter()
            if done >= expected:
                break
            time.sleep(0.05)
        events = messages_on(bootstrap, run.topics.events)
        while committed(bootstrap, correlate, (run.topics.events,), partitions) < events:
            time.sleep(0.05)
        return (expected - first) / (time.perf_counter() - started)
    finally:
        job.terminate()
        job.wait(60)


def wait_assigned(ports: list[int], partitions: int, timeout_s: float = 120) -> None:
    """Until every worker answers and the raw partitions are all assigned among them."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        held = [assigned_partitions(port, "normalize") for port in ports]
        if all(held) and sum(held) == partitions:
            return
        time.sleep(0.2)
    raise RuntimeError(f"workers on ports {ports} never held all {partitions} partitions")


def state_bytes(states: MemoryStates) -> list[int]:
    return sorted(len(encode_state(states.get(user))) for user in states)


def redis_figures(states: MemoryStates) -> dict[str, float]:
    """Every user's state in a private redis-server: bytes of Redis memory per user, and the
    seconds to read all of them back and decode them (a restart with a cold cache)."""
    port = free_port()
    with tempfile.TemporaryDirectory() as workdir:
        server = subprocess.Popen(
            ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", workdir],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            client = _wait_for_redis(port)
            before = int(client.info("memory")["used_memory"])
            store = RedisStore(f"redis://127.0.0.1:{port}/0", namespace="bench")
            users = list(states)
            for start in range(0, len(users), _CHUNK):
                chunk = users[start : start + _CHUNK]
                store.write_batch({u: encode_state(states.get(u)) for u in chunk})
            used = int(client.info("memory")["used_memory"]) - before
            again = RedisStore(f"redis://127.0.0.1:{port}/0", namespace="bench")  # a cold client
            restore_s = _restore(again, users)
            return {"redis_bytes_per_user": used / len(users), "restore_s": restore_s}
        finally:
            server.terminate()
            server.wait(30)


def _restore(store: RedisStore, users: list[str]) -> float:
    started = time.perf_counter()
    restored = 0
    for start in range(0, len(users), _CHUNK):
        for data in store.get_many(users[start : start + _CHUNK]).values():
            decode_state(data)
            restored += 1
    elapsed = time.perf_counter() - started
    assert restored == len(users), f"restored {restored} of {len(users)}"
    return elapsed


def _wait_for_redis(port: int) -> redis.Redis:
    client = redis.Redis(port=port)
    deadline = time.monotonic() + 10
    while True:
        try:
            client.ping()
            return client
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def median(values: list[int]) -> float:
    return float(statistics.median(values)) if values else 0.0
