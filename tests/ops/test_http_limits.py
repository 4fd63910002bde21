"""The HTTP endpoints bound their threads, drop idle clients and bind where they are told."""

from __future__ import annotations

import socket
import threading
import urllib.request
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from prometheus_client import CollectorRegistry

from correlator.errors import UsageError
from correlator.metrics import JobMetrics
from correlator.runtime import service
from correlator.runtime.runner import Health


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[service.HealthServer]:
    monkeypatch.setattr(service, "IO_TIMEOUT_S", 0.5)
    runner = SimpleNamespace(
        health=Health(),
        workers=[],
        metrics=JobMetrics(CollectorRegistry(), process=False),
        store=None,
    )
    http = service.serve_health(runner, _free_port(), host="127.0.0.1")  # type: ignore[arg-type]
    assert isinstance(http, service.HealthServer)
    yield http
    http.shutdown()
    http.server_close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _healthz(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:
        return int(response.status)


def test_idle_connections_are_bounded_and_dropped(server: service.HealthServer) -> None:
    port = server.server_address[1]
    assert server.server_address[0] == "127.0.0.1"
    before = threading.active_count()
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
    try:
        for sock in idle:
            sock.settimeout(10)
        # Every connection is either served by a thread or closed at once; both end in EOF,
        # the served ones after the idle timeout. Reading them all proves neither hangs.
        assert all(sock.recv(1) == b"" for sock in idle)
        grown = threading.active_count() - before
        assert grown <= service.MAX_CONNECTIONS
    finally:
        for sock in idle:
            sock.close()
    assert _healthz(port) == 200


def test_connections_over_the_limit_are_refused_service_continues(
    server: service.HealthServer,
) -> None:
    port = server.server_address[1]
    idle = [socket.create_connection(("127.0.0.1", port)) for _ in range(service.MAX_CONNECTIONS)]
    try:
        extra = socket.create_connection(("127.0.0.1", port))
        extra.settimeout(10)
        extra.sendall(b"GET /healthz HTTP/1.0\r\n\r\n")
        answer = extra.recv(100)
        # The slots may already be free again (idle clients time out); then it is served.
        assert answer == b"" or answer.startswith(b"HTTP/1.0 200")
        extra.close()
    finally:
        for sock in idle:
            sock.close()
    assert _healthz(port) == 200


def test_a_port_in_use_is_a_usage_error(server: service.HealthServer) -> None:
    port = server.server_address[1]
    runner = SimpleNamespace(metrics=JobMetrics(CollectorRegistry(), process=False))
    with pytest.raises(UsageError, match=f"cannot serve /metrics on 127.0.0.1:{port}: Address"):
        service.serve_health(runner, port, host="127.0.0.1")  # type: ignore[arg-type]
