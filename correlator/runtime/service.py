"""The job's HTTP endpoints: /metrics for Prometheus, /healthz and /readyz for the orchestrator."""

from __future__ import annotations

import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from correlator.runtime.runner import Runner

log = logging.getLogger(__name__)

STALL_S = 300.0  # no finished batch for this long while work is waiting: not ready


def readiness(runner: Runner) -> tuple[bool, str]:
    health = runner.health
    if not health.ready:
        return False, health.reason
    if not any(w.stats.assigned for w in runner.workers):
        return False, "no partitions assigned"
    # The consumers' own librdkafka statistics: no extra connection, nothing on the hot path.
    broker = runner.metrics.broker_problem()
    if broker is not None:
        return False, f"broker unreachable: {broker}"
    if runner.store is not None and not runner.metrics.store_reachable():  # ping cached 5 s
        return False, "state store unreachable"
    if any(w.busy for w in runner.workers) and time.monotonic() - health.last_progress > STALL_S:
        return False, "stalled: no batch finished for 5 minutes"
    return True, "ok"


def serve_health(runner: Runner, port: int, host: str = "0.0.0.0") -> ThreadingHTTPServer | None:
    """Serve the runner's metrics registry and its health on ``port`` (none if ``port`` <= 0)."""
    runner.metrics.track_ready(lambda: readiness(runner)[0])

    class Handler(BaseHTTPRequestHandler):
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

    if port <= 0:
        return None
    try:
        server = ThreadingHTTPServer((host, port), Handler)
    except OSError as exc:
        log.warning("cannot serve /metrics on port %d: %s", port, exc.strerror)
        return None
    threading.Thread(target=server.serve_forever, name="http", daemon=True).start()
    log.info("serving /metrics, /healthz and /readyz on port %d", port)
    return server
