"""A real Redis Cluster for tests: three ``redis-server`` masters on free loopback ports,
joined by ``redis-cli --cluster create``. Each node keeps an fsync'd append-only file, so a
killed master restarts with what it acknowledged."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from correlator.runtime.broker import bindable, free_port


def node_port() -> int:
    """A free port whose cluster bus port (+10000) is valid and free too."""
    while True:
        port = free_port()
        if port + 10_000 <= 65_535 and bindable(port + 10_000):
            return port


class ClusterNode:
    def __init__(self, directory: Path) -> None:
        self.port = node_port()
        self.directory = directory
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
                "--cluster-node-timeout", "2000", "--appendonly", "yes",
                "--appendfsync", "always", "--save", "", "--dir", str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait(lambda: redis.Redis(port=self.port).ping(), f"node {self.port}")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(10)
            self.proc = None


class Cluster:
    def __init__(self, directory: Path) -> None:
        self.nodes = [ClusterNode(directory / f"node{i}") for i in range(3)]

    @property
    def url(self) -> str:
        return f"redis+cluster://127.0.0.1:{self.nodes[0].port}"

    def start(self) -> None:
        for node in self.nodes:
            node.start()
        subprocess.run(
            ["redis-cli", "--cluster", "create", *(f"127.0.0.1:{n.port}" for n in self.nodes),
             "--cluster-replicas", "0", "--cluster-yes"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        self.wait_ok()

    def wait_ok(self) -> None:
        for node in self.nodes:
            client = redis.Redis(port=node.port)
            _wait(lambda c=client: c.cluster("info")["cluster_state"] == "ok", "cluster ok")

    def stop(self) -> None:
        for node in self.nodes:
            node.kill()


def _wait(ready: object, what: str, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if ready():  # type: ignore[operator]
                return
        except redis.RedisError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.1)


def running_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """For a module's fixture: ``yield from running_cluster(tmp_path_factory)``."""
    if shutil.which("redis-server") is None or shutil.which("redis-cli") is None:
        pytest.fail("redis-server and redis-cli are needed for the Redis Cluster tests")
    cluster = Cluster(tmp_path_factory.mktemp("redis-cluster"))
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()
