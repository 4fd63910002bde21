"""Command line of the stream job: `run`, `broker` and `demo`."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import socket
import sys
import threading
from pathlib import Path
from typing import Any

from correlator.cli_args import NON_NEGATIVE, POSITIVE
from correlator.errors import ConfigError, UsageError
from correlator.runconfig import TOPIC_FIELDS, RunSettings, resolve_run_settings

log = logging.getLogger("correlator")


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    run = sub.add_parser("run", help="run the stream job on Kafka")
    _run_options(run)
    run.set_defaults(func=cmd_run)
    broker = sub.add_parser("broker", help="run the embedded broker (memory only) standalone")
    broker.add_argument("--port", type=POSITIVE, default=None, help="default: a free port")
    broker.set_defaults(func=cmd_broker)
    demo = sub.add_parser("demo", help="simulate a tenant and stream it through the job live")
    demo.add_argument("--users", type=POSITIVE, default=120)
    demo.add_argument("--days", type=POSITIVE, default=14)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--out", type=Path, default=Path("demo-out"))
    demo.add_argument("--partitions", type=POSITIVE, default=4)
    demo.add_argument("--no-color", action="store_true")
    demo.set_defaults(func=cmd_demo)
    from correlator import cli_faust

    cli_faust.add_parser(sub, _run_options)


def _run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--stage", choices=("all", "normalize", "correlate", "keyed"))
    p.add_argument("--bootstrap-servers", help="Kafka bootstrap servers (host:port,...)")
    p.add_argument("--group-id", help="consumer group prefix (default correlator)")
    p.add_argument("--state", help="memory (default), redis://…, rediss://… or redis+cluster://…")
    p.add_argument("--geoip-dir", type=Path, help="directory with GeoIP2/GeoLite2 .mmdb files")
    p.add_argument("--config", type=Path, help="YAML configuration file")
    p.add_argument("--create-topics", action="store_true", help="create missing topics")
    p.add_argument("--partitions", type=POSITIVE, help="partitions for --create-topics (default 6)")
    p.add_argument("--batch-size", type=POSITIVE, help="messages per batch (default 500)")
    p.add_argument(
        "--metrics-port", type=NON_NEGATIVE, help="HTTP port for /metrics (default 9108)"
    )
    p.add_argument(
        "--metrics-bind", help="address /metrics, /healthz and /readyz listen on (default 0.0.0.0)"
    )
    p.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="processes in the consumer group, on ports from --metrics-port up (default 1)",
    )
    p.add_argument(
        "-X",
        dest="kafka_property",
        action="append",
        metavar="KEY=VALUE",
        help="librdkafka property, e.g. -X security.protocol=SASL_SSL (repeatable)",
    )
    for name in TOPIC_FIELDS:
        p.add_argument(f"--topic-{name}", help=f"name of the {name} topic")
    from correlator.cli_tenant import add_preset_options

    add_preset_options(p)


def _run_workers(args: argparse.Namespace, run: RunSettings, stop: threading.Event) -> int:
    """The parent of ``--workers N`` only supervises: each worker is a whole job (directory
    sync included), so the parent opens no client of its own."""
    from correlator.runtime.workers import run_workers

    log.info("%d workers, stage %s, group %s", args.workers, run.stage, run.group_id)
    code = run_workers(args.argv, args.workers, run.metrics_port, stop)
    log.info("workers stopped" if code == 0 else "workers failed (%d)", code)
    return code


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected a positive count, got {value}")
    return number


def load_run(args: argparse.Namespace) -> tuple[RunSettings, Any]:
    from correlator.wiring import load_cli_settings

    settings = load_cli_settings(args.config, geoip_dir=args.geoip_dir)
    from correlator.cli_tenant import apply_preset

    run = resolve_run_settings(vars(args), os.environ, settings.extra)
    run = apply_preset(run, args, os.environ, settings.extra)
    return run, settings


def _install_signals(stop: threading.Event) -> None:
    def handler(signum: int, _frame: object) -> None:
        log.info("received %s: finishing the batch, then leaving", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def cmd_run(args: argparse.Namespace) -> int:
    from correlator.cli_tenant import start_directory
    from correlator.runtime.runner import Runner

    run, settings = load_run(args)
    if not run.bootstrap_servers:
        raise ConfigError("no Kafka: pass --bootstrap-servers or set KAFKA_BOOTSTRAP_SERVERS")
    if run.metrics_port > 0:
        # Before any client exists: a port in use is one line, not a line after Kafka's noise.
        for index in range(args.workers):
            check_port_free(run.metrics_bind, run.metrics_port + index)
    stop = threading.Event()
    _install_signals(stop)
    if args.workers > 1:
        return _run_workers(args, run, stop)
    settings = start_directory(run, settings, args, stop)
    log.info(
        "stage %s on %s, group %s, state %s; kafka properties %s",
        run.stage,
        run.bootstrap_servers,
        run.group_id,
        _shown_state(run.state),
        run.redacted_kafka(),
    )
    runner = Runner(run, settings, bootstrap=run.bootstrap_servers, stop=stop)
    from correlator.runtime.service import serve_health

    try:
        server = serve_health(runner, run.metrics_port, host=run.metrics_bind)
    except BaseException:
        runner.close()
        raise
    try:
        runner.run_until_stopped()
    finally:
        if server is not None:
            server.shutdown()
    log.info("stopped cleanly")
    return 0


def _shown_state(state: str) -> str:
    return state.split("@")[-1] if "@" in state else state


def check_port_free(host: str, port: int, what: str = "serve /metrics") -> None:
    """One line and exit 2 for a port in use, before a child process panics over it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise UsageError(f"cannot {what} on {host}:{port}: {exc.strerror}") from None


def cmd_broker(args: argparse.Namespace) -> int:
    from correlator.runtime.broker import EmbeddedBroker

    if args.port is not None:
        if not 0 < args.port < 65536:
            raise UsageError(f"--port must lie in 1..65535, got {args.port}")
        check_port_free("127.0.0.1", args.port, what="start the broker")
    stop = threading.Event()
    _install_signals(stop)
    with EmbeddedBroker(port=args.port) as broker:
        print(broker.bootstrap, flush=True)
        print(
            "embedded broker running; data is kept in memory only and is lost when it stops "
            "(Ctrl-C to stop)",
            file=sys.stderr,
            flush=True,
        )
        stop.wait()
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from correlator.runtime.demo import Demo

    return Demo(
        users=args.users,
        days=args.days,
        seed=args.seed,
        out=args.out,
        partitions=args.partitions,
        color=not args.no_color and sys.stdout.isatty(),
    ).run()
