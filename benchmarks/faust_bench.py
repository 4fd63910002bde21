"""faust figures for `make bench`, on the records and broker of the same run.

- faust_bare_eps: a faust agent that takes batches from the raw topics and decodes each record
  with orjson, nothing else: what faust itself allows on this machine. It runs on the runtime's
  own app class and settings (the same transport), so the two compare like with like;
- faust_runtime_eps: `correlator faust worker` (all three stages, memory state) end to end, from its
  first finished batch until every record and every event it produced is handled, delivered and
  acknowledged, and the acknowledged offsets are committed.

Each runs in a worker process of its own, since faust owns the event loop; the process prints
one figure and leaves. Run as a script, this file is that worker.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from correlator.cli import tune_gc
from correlator.config import load_settings
from correlator.runconfig import RunSettings
from correlator.runtime.topics import Topics

BATCH = 1000


def faust_run(bootstrap: str, prefix: str) -> RunSettings:
    names = {f.name: f"{prefix}.{f.name}" for f in dataclasses.fields(Topics)}
    return RunSettings(
        bootstrap_servers=bootstrap,
        group_id=prefix,
        topics=Topics(**names),
        batch_size=BATCH,
        batch_timeout_ms=50,
        metrics_port=0,
        kafka={"session.timeout.ms": "6000", "heartbeat.interval.ms": "500"},
    )


def measure(kind: str, bootstrap: str, prefix: str, expected: int, config: Path) -> float:
    """Run the ``kind`` worker over the run's topics (already filled); its events/s."""
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "eps"
        args = [sys.executable, __file__, kind, bootstrap, prefix, str(expected), str(config)]
        done = subprocess.run(
            [*args, str(result)], capture_output=True, text=True, timeout=600, check=False
        )
        if done.returncode != 0 or not result.exists():
            raise RuntimeError(f"faust {kind} worker failed:\n{done.stderr[-3000:]}")
        return float(result.read_text())


def _report(eps: float) -> None:
    # faust's worker takes stdout over for its logs: the figure goes to the file named.
    Path(sys.argv[6]).write_text(repr(eps))
    os._exit(0)  # the figure is out; no orderly shutdown to wait for


def bare_worker(run: RunSettings, expected: int) -> Any:
    from correlator.runtime.faust_settings import app_settings
    from correlator.runtime.faust_transport import App

    app = App(f"{run.group_id}-bare", **app_settings(run, run.bootstrap_servers or ""))
    topic = app.topic(*run.topics.raw, key_type=bytes, value_type=bytes, value_serializer="raw")
    seen = {"n": 0, "started": 0.0}

    @app.agent(topic)
    async def decode(stream: Any) -> None:
        async for values in stream.take(run.batch_size, run.batch_timeout_ms / 1000):
            if not seen["started"]:
                seen["started"] = time.perf_counter()
            for value in values:
                orjson.loads(value)
            seen["n"] += len(values)
            if seen["n"] >= expected:
                _report(seen["n"] / (time.perf_counter() - seen["started"]))

    return app


def runtime_worker(run: RunSettings, expected: int, config: Path) -> Any:
    from correlator.runtime.faust_runtime import FaustRuntime

    runtime = FaustRuntime(run, load_settings(config), bootstrap=run.bootstrap_servers or "")
    normalize, correlate, keyed = runtime.normalizer, runtime.correlator, runtime.keyed
    assert normalize is not None and correlate is not None and keyed is not None
    clock = {"started": 0.0}

    @runtime.app.timer(0.01)
    async def finished() -> None:
        if not clock["started"] and normalize.stats.batches:
            clock["started"] = time.perf_counter() - normalize.stats.last_batch_s
        events = sum(normalize.events.values())
        if (
            normalize.stats.committed_messages >= expected
            and correlate.stats.committed_messages >= events
            and keyed.stats.committed_messages >= correlate.forwarded
        ):
            # Every batch is acknowledged; the native figure ends at its last commit, so this
            # one does too, rather than at faust's next commit tick.
            await runtime.app.consumer.commit()
            _report(expected / (time.perf_counter() - clock["started"]))

    return runtime.app


def main() -> None:
    import faust

    kind, bootstrap, prefix, expected, config = sys.argv[1:6]
    tune_gc()  # both workers, as the correlator command and the native figures do
    run = faust_run(bootstrap, prefix)
    if kind == "bare":
        app = bare_worker(run, int(expected))
    else:
        app = runtime_worker(run, int(expected), Path(config))
    worker = faust.Worker(app, loglevel="warning")
    worker.spinner = None  # as `correlator faust worker` does: no DEBUG root logger
    worker.execute_from_commandline()


if __name__ == "__main__":
    main()
