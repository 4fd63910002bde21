"""``correlator run --workers N``: N job processes in one consumer group, as one unit.

Each worker is a full ``correlator run`` (both stages, its own metrics port), so the GIL of one
process is not the ceiling: Kafka's group protocol shares the partitions among them, as it
does among machines. The parent only supervises: a signal stops every worker (each finishes
its batch and commits), and a worker that dies takes the others down, so the job is never
left half-running while its health endpoints look fine.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence

log = logging.getLogger("correlator.workers")

WORKER_ENV = "CORRELATOR_WORKER"  # the worker's index, for its logs
_POLL_S = 0.5
STOP_GRACE_S = 60.0  # a worker finishes and commits its batch within this, or is killed


def worker_argv(argv: Sequence[str], index: int, metrics_port: int) -> list[str]:
    """One worker's command line: the parent's, run once. Later options win in argparse."""
    port = metrics_port + index if metrics_port else 0
    return [
        sys.executable, "-m", "correlator", *argv,
        "--workers", "1", "--metrics-port", str(port),
    ]  # fmt: skip


def run_workers(argv: Sequence[str], workers: int, metrics_port: int, stop: threading.Event) -> int:
    """Runs ``workers`` processes until ``stop`` is set or one exits; 0 when all stopped
    cleanly on request, else the first failing worker's exit code (1 if it exited 0)."""
    children = [_spawn(worker_argv(argv, i, metrics_port), i) for i in range(workers)]
    failed: int | None = None
    try:
        while failed is None and not stop.wait(_POLL_S):
            failed = _first_exit(children)
    finally:
        codes = _stop_all(children)
    if failed is not None:
        return failed or 1  # a worker leaving on its own is a failure even with status 0
    return next((code for code in codes if code != 0), 0)


def _spawn(args: list[str], index: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, WORKER_ENV: str(index)}
    child = subprocess.Popen(args, env=env)
    log.info("worker %d started (pid %d)", index, child.pid)
    return child


def _first_exit(children: list[subprocess.Popen[bytes]]) -> int | None:
    for index, child in enumerate(children):
        code = child.poll()
        if code is not None:
            log.error("worker %d exited with %d: stopping the others", index, code)
            return code
    return None


def _stop_all(children: list[subprocess.Popen[bytes]]) -> list[int]:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    codes = []
    for index, child in enumerate(children):
        try:
            codes.append(child.wait(STOP_GRACE_S))
        except subprocess.TimeoutExpired:
            log.error("worker %d did not stop within %.0f s: killed", index, STOP_GRACE_S)
            child.kill()
            codes.append(child.wait())
    return codes
