"""``correlator respond``: flags, settings and the Graph credentials of the response stage."""

from __future__ import annotations

import argparse
import logging
import os
import threading

from correlator.errors import ConfigError

log = logging.getLogger("correlator")


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    from correlator.cli_runtime import _run_options

    p = sub.add_parser(
        "respond", help="act on alerts through Microsoft Graph (dry-run unless configured)"
    )
    _run_options(p)
    p.add_argument("--dry-run", action="store_true", help="never call Graph, whatever the config")
    # The app registration's flags (--tenant-id, --client-id, --client-secret-file,
    # --certificate, --authority, --graph-url, --ca-bundle) come with the run options.
    p.set_defaults(func=cmd_respond)


def cmd_respond(args: argparse.Namespace) -> int:
    import dataclasses

    from correlator.cli_runtime import _install_signals, load_run
    from correlator.respond.policy import policy_from
    from correlator.respond.stage import graph_actions, run_responder

    args.stage = None  # the respond stage is its own; run's --stage does not apply
    run, settings = load_run(args)
    if not run.bootstrap_servers:
        raise ConfigError("no Kafka: pass --bootstrap-servers or set KAFKA_BOOTSTRAP_SERVERS")
    policy = policy_from(settings.extra.get("response"))
    if args.dry_run:
        policy = dataclasses.replace(policy, dry_run=True)
    actions = None if policy.dry_run else graph_actions(settings, args, dict(os.environ))
    log.info(
        "respond on %s (%s): actions %s, rules %s, min severity %s, %d protected users",
        run.bootstrap_servers,
        "dry run" if policy.dry_run else "ACTING",
        ", ".join(policy.actions),
        ", ".join(sorted(policy.rules)),
        policy.min_severity.name.lower(),
        len(policy.protected_users),
    )
    stop = threading.Event()
    _install_signals(stop)
    run_responder(
        run, policy, actions, stop, namespace=run.group_id, metrics_port=args.metrics_port
    )
    return 0
