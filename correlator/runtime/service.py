"""The job's HTTP endpoints: /metrics for Prometheus, /healthz and /readyz for the orchestrator."""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from correlator.errors import UsageError

if TYPE_CHECKING:
    from correlator.runtime.runner import Runner

log = logging.getLogger(__name__)

STALL_S = 300.0  # no finished batch for this long while work is waiting: not ready
MAX_CONNECTIONS = 16  # Prometheus and two probes need three; the rest is headroom
IO_TIMEOUT_S = 5.0  # a client that sends or reads nothing for this long is dropped
LISTEN_BACKLOG = 16

# /readyz answers with one of these codes, never with exception text (which could name hosts,
# users or settings): the logs carry the details.
STARTING = "starting"
RETRYING = "retrying"
NO_PARTITIONS = "no_partitions"
BROKER_UNREACHABLE = "broker_unreachable"
STORE_UNREACHABLE = "store_unreachable"
STALLED = "stalled"
OK = "ok"


def readiness(runner: Runner) -> tuple[bool, str]:
    """Whether the job is ready, and a reason code from the list above."""
    health = runner.health
    if not health.ready:
        return False, STARTING if health.reason == STARTING else RETRYING
    if not any(w.stats.assigned for w in runner.workers):
        return False, NO_PARTITIONS
    # The consumers' own librdkafka statistics: no extra connection, nothing on the hot path.
    if runner.metrics.broker_problem() is not None:
        return False, BROKER_UNREACHABLE
    if runner.store is not None and not runner.metrics.store_reachable():  # ping cached 5 s
        return False, STORE_UNREACHABLE
    if any(w.busy for w in runner.workers) and time.monotonic() - health.last_progress > STALL_S:
        return False, STALLED
    return True, OK


class HealthServer(ThreadingHTTPServer):
    """A thread per connection, but at most ``MAX_CONNECTIONS`` of them: the rest are closed
    at once, so idle or slow clients cannot pile up threads."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = LISTEN_BACKLOG

    def __init__(self, address: tuple[str, int], handler: Any) -> None:
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.address_family = family
        super().__init__(address, handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


def _handler(runner: Runner) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        timeout = IO_TIMEOUT_S  # socket timeout: reading the request and writing the answer

        def do_GET(self) -> None:
            if self.path.startswith("/metrics"):
                self._send(200, *runner.metrics.exposition())
            elif self.path.startswith("/healthz"):
                self._send(200, b"ok\n")
            elif self.path.startswith("/readyz"):
                ready, reason = readiness(runner)
                self._send(200 if ready else 503, reason.encode() + b"\n")
            else:
                self._send(404, b"not found\n")

        def _send(self, code: int, body: bytes, ctype: str = "text/plain") -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return None

    return Handler


def serve_health(runner: Runner, port: int, host: str = "0.0.0.0") -> ThreadingHTTPServer | None:
    """Serve the runner's metrics registry and its health on ``host:port`` (none if ``port``
    is 0). A port that cannot be bound is a ``UsageError``: a job whose probes cannot answer
    would be restarted again and again by its orchestrator, so it had better not start."""
    runner.metrics.track_ready(lambda: readiness(runner)[0])
    if port <= 0:
        return None
    try:
        server = HealthServer((host, port), _handler(runner))
    except OSError as exc:
        raise UsageError(f"cannot serve /metrics on {host}:{port}: {exc.strerror}") from None
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    log.info("serving /metrics, /healthz and /readyz on %s:%d", host, port)
    return server


def assigned_partitions(port: int, stage: str, host: str = "127.0.0.1") -> float:
    """What the job serving /metrics on ``port`` says ``stage`` holds (0 while it does not
    answer): how the tests and the bench see that a worker has joined its group."""
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=5) as answer:
            text = answer.read().decode()
    except OSError:
        return 0.0
    found = re.search(rf'correlator_assigned_partitions\{{stage="{stage}"\}} (\S+)', text)
    return float(found.group(1)) if found else 0.0
