"""Command line of `correlator ingest`: a tenant's logs onto the raw topics."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from correlator.errors import ConfigError, CorrelatorError, TransientError
from correlator.runconfig import TOPIC_FIELDS, RunSettings

log = logging.getLogger("correlator")


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    ingest = sub.add_parser("ingest", help="produce a tenant's logs to the raw topics")
    kinds = ingest.add_subparsers(dest="source", required=True)
    graph = kinds.add_parser("graph", help="poll Microsoft Graph's audit logs and call records")
    _app_options(graph)
    _kafka_options(graph)
    _graph_options(graph)
    graph.set_defaults(func=cmd_ingest_graph)


def add_preset_options(p: argparse.ArgumentParser) -> None:
    """`run` options to use an Event Hubs namespace as the Kafka cluster."""
    p.add_argument("--preset", choices=("eventhubs",), help="kafka preset (or CORRELATOR_PRESET)")
    p.add_argument(
        "--eventhubs-namespace",
        help="namespace name or host (or CORRELATOR_EVENTHUBS_NAMESPACE)",
    )
    p.add_argument(
        "--directory-sync",
        action="store_true",
        help="sync users and privileged roles from Graph (or YAML directory.sync)",
    )
    _app_options(p)


def start_directory(
    run: RunSettings, settings: Any, args: argparse.Namespace, stop: threading.Event
) -> Any:
    """``settings`` with a live directory view when the sync is on: synced (or read from the
    store's cache) once before the job starts, then refreshed in a background thread."""
    import dataclasses

    from correlator.connectors.directory import DirectoryCache, sync
    from correlator.identity import Identities
    from correlator.state import open_store

    section = settings.extra.get("directory")
    options: Mapping[str, Any] = section if isinstance(section, Mapping) else {}
    if not (getattr(args, "directory_sync", False) or options.get("sync")):
        return settings
    client = graph_client(args)
    identities = Identities.static(settings.aliases, settings.detection.privileged_users)
    cache = DirectoryCache(
        open_store(run.state, namespace=f"{run.group_id}.directory"),
        identities,
        lambda previous: sync(client, previous),
        ttl_ms=int(float(options.get("ttl_hours", 6)) * 3_600_000),
    )
    if not cache.refresh():
        log.warning("no directory yet: identities and privileged users from the config only")
    interval_s = float(options.get("refresh_minutes", 60)) * 60
    threading.Thread(
        target=cache.run, args=(stop, interval_s), name="directory", daemon=True
    ).start()
    return dataclasses.replace(settings, identities=identities)


def apply_preset(
    run: RunSettings, args: argparse.Namespace, env: Mapping[str, str], raw: Mapping[str, Any]
) -> RunSettings:
    """``run`` with the Event Hubs preset applied when the flags, environment or YAML ask."""
    from correlator.connectors import eventhubs

    section = raw.get("kafka")
    kafka: Mapping[str, Any] = section if isinstance(section, Mapping) else {}
    preset = getattr(args, "preset", None) or env.get("CORRELATOR_PRESET") or kafka.get("preset")
    if not preset:
        return run
    if preset != eventhubs.PRESET:
        raise ConfigError(f"unknown kafka preset {preset!r}; the one preset is 'eventhubs'")
    connection = _connection_string(env)
    namespace = (
        getattr(args, "eventhubs_namespace", None)
        or env.get("CORRELATOR_EVENTHUBS_NAMESPACE")
        or kafka.get("eventhubs_namespace")
    )
    if namespace:
        host = eventhubs.namespace_host(str(namespace))
    elif connection:
        host = eventhubs.host_of_connection_string(connection)
    else:
        raise ConfigError("the eventhubs preset needs --eventhubs-namespace")
    hubs = eventhubs.EventHubs(host, connection)
    oauth_cb = None if connection else _token_provider(args, env, hubs.scope).oauth_cb
    return eventhubs.apply(run, hubs, oauth_cb)


def _connection_string(env: Mapping[str, str]) -> str | None:
    name = "CORRELATOR_EVENTHUBS_CONNECTION_STRING"
    if env.get(name + "_FILE"):
        path = Path(env[name + "_FILE"])
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConfigError(f"{name}_FILE: cannot read {path}: {exc.strerror}") from exc
    return env.get(name) or None


def _token_provider(args: argparse.Namespace, env: Mapping[str, str], scope: str) -> Any:
    from correlator.connectors.auth import DEFAULT_AUTHORITY, TokenProvider, credentials_from

    credentials = credentials_from(
        tenant_id=args.tenant_id,
        client_id=args.client_id,
        secret_file=args.client_secret_file,
        certificate=args.certificate,
        env=env,
    )
    return TokenProvider(
        credentials, scope, authority=args.authority or DEFAULT_AUTHORITY, ca_bundle=args.ca_bundle
    )


def _app_options(p: argparse.ArgumentParser, *, graph: bool = True) -> None:
    p.add_argument("--tenant-id", help="directory (tenant) id; or AZURE_TENANT_ID")
    p.add_argument("--client-id", help="application (client) id; or AZURE_CLIENT_ID")
    secret = p.add_mutually_exclusive_group()
    secret.add_argument("--client-secret-file", type=Path, help="file holding the client secret")
    secret.add_argument(
        "--certificate", type=Path, help="PEM file with the certificate and its private key"
    )
    p.add_argument("--authority", help="Entra endpoint (default https://login.microsoftonline.com)")
    if graph:
        p.add_argument("--graph-url", help="Graph endpoint (default https://graph.microsoft.com)")
    p.add_argument("--ca-bundle", type=Path, help="PEM CA bundle to trust for Entra and Graph")


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
    if not run.bootstrap_servers:
        raise ConfigError("no Kafka: pass --bootstrap-servers or set KAFKA_BOOTSTRAP_SERVERS")
    return run


def graph_client(args: argparse.Namespace, requests_per_10s: int = 5) -> Any:
    from correlator.connectors.auth import GRAPH_SCOPE
    from correlator.connectors.graph import DEFAULT_GRAPH_URL, GraphClient
    from correlator.connectors.pacing import RateLimit

    graph_url = (args.graph_url or DEFAULT_GRAPH_URL).rstrip("/")
    scope = GRAPH_SCOPE if args.graph_url is None else f"{graph_url}/.default"
    tokens = _token_provider(args, os.environ, scope)
    return GraphClient(
        tokens.bearer,
        base_url=graph_url,
        ca_bundle=args.ca_bundle,
        limit=RateLimit(requests=requests_per_10s),
    )


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
    from correlator.connectors.poller import MINUTE_MS, GraphPoller
    from correlator.runtime.clients import TrackedProducer, producer_config

    run = kafka_settings(args)
    endpoints = _endpoints(args.endpoints)
    checkpoints = open_checkpoints(args.checkpoint)
    assert run.bootstrap_servers is not None
    producer = TrackedProducer(producer_config(run.bootstrap_servers, run.kafka))
    poller = GraphPoller(
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
        checkpoints.close()


def _poll(poller: Any, args: argparse.Namespace) -> int:
    if args.once:
        try:
            stats = poller.poll_once()
        except (CorrelatorError, OSError) as exc:
            print(f"graph ingest failed: {exc}", file=sys.stderr)
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
    return 0
