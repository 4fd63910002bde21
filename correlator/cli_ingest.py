"""Command line of `correlator ingest`: a tenant's logs onto the raw topics."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from correlator import redact
from correlator.cli_tenant import app_options, apply_preset, graph_client
from correlator.errors import ConfigError, CorrelatorError, TransientError
from correlator.runconfig import TOPIC_FIELDS, RunSettings

log = logging.getLogger("correlator")


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    ingest = sub.add_parser("ingest", help="produce a tenant's logs to the raw topics")
    kinds = ingest.add_subparsers(dest="source", required=True)
    graph = kinds.add_parser("graph", help="poll Microsoft Graph's audit logs and call records")
    app_options(graph)
    _kafka_options(graph)
    _graph_options(graph)
    graph.set_defaults(func=cmd_ingest_graph)
    files = kinds.add_parser("files", help="produce exported log files, as replay reads them")
    files.add_argument("paths", nargs="+", type=Path, help="files or directories")
    _kafka_options(files)
    files.add_argument(
        "--no-progress", action="store_true", help="no progress bar (default: on a terminal)"
    )
    files.set_defaults(func=cmd_ingest_files)


def _kafka_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bootstrap-servers", help="Kafka bootstrap servers (host:port,...)")
    p.add_argument("--config", type=Path, help="YAML configuration file (topics, kafka)")
    p.add_argument(
        "-X",
        dest="kafka_property",
        action="append",
        metavar="KEY=VALUE",
        help="librdkafka property (repeatable)",
    )
    for name in TOPIC_FIELDS:
        p.add_argument(f"--topic-{name}", help=f"name of the {name} topic")
    p.add_argument("--preset", choices=("eventhubs",), help="produce to Event Hubs")
    p.add_argument("--eventhubs-namespace", help="namespace name or host")


def _graph_options(p: argparse.ArgumentParser) -> None:
    from correlator.connectors.poller import DEFAULT_ENDPOINTS, ENDPOINTS

    p.add_argument(
        "--checkpoint",
        default="graph-checkpoint.json",
        help="redis://… or a file path (default graph-checkpoint.json)",
    )
    p.add_argument("--since", help="ISO-8601 start for endpoints without a checkpoint")
    p.add_argument("--once", action="store_true", help="catch up to now, then exit")
    p.add_argument(
        "--endpoints",
        default=",".join(DEFAULT_ENDPOINTS),
        help=f"comma-separated, of {', '.join(ENDPOINTS)} (default %(default)s)",
    )
    p.add_argument("--overlap-minutes", type=float, default=30.0, help="re-read window")
    p.add_argument("--interval-seconds", type=float, default=60.0, help="pause between passes")
    p.add_argument(
        "--requests-per-10s",
        type=int,
        default=5,
        help="request budget (the reporting API allows 5 per 10 s per app and tenant)",
    )


def kafka_settings(args: argparse.Namespace) -> RunSettings:
    from correlator.runconfig import resolve_run_settings
    from correlator.wiring import load_cli_settings

    settings = load_cli_settings(args.config)
    run = resolve_run_settings(vars(args), os.environ, settings.extra)
    run = apply_preset(run, args, os.environ, settings.extra)
    if not run.bootstrap_servers:
        raise ConfigError("no Kafka: pass --bootstrap-servers or set KAFKA_BOOTSTRAP_SERVERS")
    return run


def _since_ms(text: str | None) -> int | None:
    if text is None:
        return None
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConfigError(f"--since expects ISO-8601, got {text!r}") from exc
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def _endpoints(text: str) -> tuple[Any, ...]:
    from correlator.connectors.poller import ENDPOINTS

    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in ENDPOINTS]
    if unknown or not names:
        raise ConfigError(f"--endpoints: unknown {unknown}; choose from {', '.join(ENDPOINTS)}")
    return tuple(ENDPOINTS[n] for n in names)


def cmd_ingest_graph(args: argparse.Namespace) -> int:
    from correlator.connectors.checkpoint import open_checkpoints
    from correlator.connectors.ledger import TopicLedger
    from correlator.connectors.poller import MINUTE_MS, GraphPoller
    from correlator.runtime.clients import TrackedProducer, producer_config

    run = kafka_settings(args)
    endpoints = _endpoints(args.endpoints)
    checkpoints = open_checkpoints(args.checkpoint)
    assert run.bootstrap_servers is not None
    producer = TrackedProducer(producer_config(run.bootstrap_servers, run.client_properties()))
    ledger = TopicLedger(run.bootstrap_servers, run.client_properties())
    poller = GraphPoller(
        ledger=ledger,
        client=graph_client(args, args.requests_per_10s),
        sink=producer,
        checkpoints=checkpoints,
        topics=run.topics,
        endpoints=endpoints,
        overlap_ms=int(args.overlap_minutes * MINUTE_MS),
        since_ms=_since_ms(args.since),
    )
    log.info(
        "polling %s of tenant %s as app %s into %s",
        args.endpoints,
        args.tenant_id or os.environ.get("AZURE_TENANT_ID", "?"),
        args.client_id or os.environ.get("AZURE_CLIENT_ID", "?"),
        run.bootstrap_servers,
    )
    try:
        return _poll(poller, args)
    finally:
        ledger.close()
        checkpoints.close()


def _poll(poller: Any, args: argparse.Namespace) -> int:
    if args.once:
        try:
            stats = poller.poll_once()
        except (CorrelatorError, OSError) as exc:
            print(redact.shown(f"graph ingest failed: {exc}"), file=sys.stderr)
            return 1
        print(
            f"graph: {stats.produced} records produced, {stats.duplicates} already sent, "
            f"{stats.pages} pages in {stats.seconds:.1f} s ({stats.rate():.0f} records/s)",
            file=sys.stderr,
        )
        return 0
    from correlator.cli_runtime import _install_signals
    from correlator.connectors.graph import GraphError

    stop = threading.Event()
    _install_signals(stop)
    while not stop.is_set():
        try:
            poller.run(stop, args.interval_seconds)
        except (TransientError, GraphError) as exc:
            # Throttling beyond the retries, an outage, a broken page: the next pass resumes
            # from the checkpoint. Credentials and configuration errors end the command.
            log.warning("graph pass failed, retrying after the interval: %s", exc)
            stop.wait(args.interval_seconds)
        except CorrelatorError as exc:
            print(redact.shown(f"graph ingest failed: {exc}"), file=sys.stderr)
            return 1
    return 0


MAX_LISTED = 20


def cmd_ingest_files(args: argparse.Namespace) -> int:
    from correlator.connectors import file_ingest
    from correlator.runtime.clients import TrackedProducer, producer_config
    from correlator.terminal import safe

    run = kafka_settings(args)
    assert run.bootstrap_servers is not None
    plan = file_ingest.plan(args.paths)
    for skipped in plan.skipped:
        print(f"skipped {safe(skipped.path)}: {skipped.reason}", file=sys.stderr)
    producer = TrackedProducer(producer_config(run.bootstrap_servers, run.client_properties()))
    show = not args.no_progress and sys.stderr.isatty()
    sent = file_ingest.produce(plan.messages, producer, run.topics, _progress if show else None)
    if show:
        sys.stderr.write("\n")
    topics = ", ".join(f"{getattr(run.topics, k)} {v}" for k, v in sorted(plan.by_topic().items()))
    print(f"{plan.records} records read; produced {sent} ({topics or 'none'})", file=sys.stderr)
    if plan.ignored:
        ignored = ", ".join(f"{k} {v}" for k, v in sorted(plan.ignored.items()))
        print(f"ignored {sum(plan.ignored.values())} ({ignored})", file=sys.stderr)
    for refused in plan.refused[:MAX_LISTED]:
        print(
            f"  {safe(refused.location)}: {refused.reason}: {safe(refused.detail)}", file=sys.stderr
        )
    if len(plan.refused) > MAX_LISTED:
        print(f"  ... and {len(plan.refused) - MAX_LISTED} more refused", file=sys.stderr)
    return 0 if sent or not plan.refused else 1


def _progress(done: int, total: int, width: int = 40) -> None:
    filled = int(width * done / total) if total else width
    sys.stderr.write(f"\rproducing [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    sys.stderr.flush()
