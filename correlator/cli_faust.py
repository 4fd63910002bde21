"""`correlator faust worker` and the environment-configured app for `faust -A … worker`.

faust is an optional extra (``correlator[faust]``): nothing here imports it until used.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from correlator.errors import ConfigError, UsageError
from correlator.runconfig import RunSettings, resolve_run_settings

if TYPE_CHECKING:
    from correlator.config import Settings
    from correlator.runtime.faust_runtime import FaustRuntime

LOG_LEVELS = ("debug", "info", "warning", "error")


def add_parser(sub: argparse._SubParsersAction, run_options: Any) -> None:  # type: ignore[type-arg]
    faust_cmd = sub.add_parser("faust", help="run the stream job as a faust-streaming app")
    faust_sub = faust_cmd.add_subparsers(dest="faust_command", required=True)
    worker = faust_sub.add_parser("worker", help="start a faust worker (same flags as `run`)")
    run_options(worker)
    worker.add_argument("--loglevel", choices=LOG_LEVELS, default="info")
    worker.set_defaults(func=cmd_faust_worker)


def build_runtime(run: RunSettings, settings: Settings) -> FaustRuntime:
    try:
        from correlator.runtime.faust_runtime import FaustRuntime
    except ImportError as exc:
        raise ConfigError(
            f"the faust runtime needs the faust extra: pip install 'correlator[faust]' ({exc})"
        ) from exc
    if not run.bootstrap_servers:
        raise ConfigError("no Kafka: pass --bootstrap-servers or set KAFKA_BOOTSTRAP_SERVERS")
    if run.create_topics:
        from correlator.runtime.broker import create_topics
        from correlator.runtime.clients import admin_config

        create_topics(
            run.bootstrap_servers,
            {t: run.partitions for t in run.topics.all},
            client=admin_config(run.client_properties()),
        )
    return FaustRuntime(run, settings, bootstrap=run.bootstrap_servers)


def cmd_faust_worker(args: argparse.Namespace) -> int:
    from correlator.cli_runtime import load_run

    if args.workers != 1:  # a flag of `run`: faust has its own worker model
        raise UsageError(
            "faust worker runs one process: start more workers with the same --group-id"
        )
    run, settings = load_run(args)
    build_runtime(run, settings).work(loglevel=args.loglevel)
    return 0


def runtime_from_environment(env: Mapping[str, str]) -> FaustRuntime:
    """The runtime as ``correlator run`` would configure it with no flags."""
    from correlator.wiring import load_cli_settings

    config = env.get("CORRELATOR_CONFIG")
    geoip = env.get("CORRELATOR_GEOIP_DIR")
    settings = load_cli_settings(
        Path(config) if config else None, geoip_dir=Path(geoip) if geoip else None
    )
    return build_runtime(resolve_run_settings({}, env, settings.extra), settings)


def environment() -> Mapping[str, str]:
    return os.environ
