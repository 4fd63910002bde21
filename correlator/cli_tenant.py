"""Command-line glue for a tenant: app credentials, the Event Hubs preset, the directory sync.

Only the command line reads the environment; these functions receive it as a mapping.
"""

from __future__ import annotations

import argparse
import logging
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from correlator.errors import ConfigError
from correlator.runconfig import RunSettings

log = logging.getLogger("correlator")


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
    app_options(p)


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

    def flag(name: str) -> Any:  # `ingest files` has no credential flags: the environment
        return getattr(args, name, None)

    credentials = credentials_from(
        tenant_id=flag("tenant_id"),
        client_id=flag("client_id"),
        secret_file=flag("client_secret_file"),
        certificate=flag("certificate"),
        env=env,
    )
    return TokenProvider(
        credentials,
        scope,
        authority=flag("authority") or DEFAULT_AUTHORITY,
        ca_bundle=flag("ca_bundle"),
    )


def app_options(p: argparse.ArgumentParser, *, graph: bool = True) -> None:
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
