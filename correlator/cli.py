"""The `correlator` command line. Only this module (and config) reads the environment."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import orjson

from correlator import __version__, redact
from correlator.cli_args import NON_NEGATIVE, POSITIVE
from correlator.errors import ConfigError, CorrelatorError, UsageError

log = logging.getLogger("correlator")


def _replay_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("replay", help="run the detections over exported log files")
    p.add_argument("paths", nargs="+", type=Path, help="files or directories (.json, .jsonl, .gz)")
    p.add_argument("--geoip-dir", type=Path, help="directory with GeoIP2/GeoLite2 .mmdb files")
    p.add_argument("--config", type=Path, help="YAML configuration file")
    p.add_argument("--out", type=Path, help="write alerts (JSON lines) here instead of stdout")
    p.add_argument("--stats", type=Path, help="write the summary as JSON to this file")
    p.add_argument("--pretty", action="store_true", help="print alerts readably, not as JSON")
    p.set_defaults(func=cmd_replay)


def _simulate_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("simulate", help="write a synthetic tenant in the real Graph formats")
    p.add_argument("--users", type=POSITIVE, default=200)
    p.add_argument("--days", type=POSITIVE, default=14)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--attacks", type=NON_NEGATIVE, default=None)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=cmd_simulate)


def _learn_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("learn-egress", help="learn corporate egress networks from sign-in logs")
    p.add_argument("paths", nargs="+", type=Path, help="files or directories (.json, .jsonl, .gz)")
    p.add_argument("--geoip-dir", type=Path, help="directory with GeoIP2/GeoLite2 .mmdb files")
    p.add_argument("--config", type=Path, help="YAML configuration file")
    p.add_argument("--min-users", type=int, default=20, help="distinct users (default 20)")
    p.add_argument("--out", type=Path, required=True, help="YAML file for learned_egress")
    p.set_defaults(func=cmd_learn_egress)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="correlator",
        description="Catch account takeover after helpdesk voice phishing.",
    )
    parser.add_argument("--version", action="version", version=f"correlator {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)
    _replay_parser(sub)
    _simulate_parser(sub)
    _learn_parser(sub)
    from correlator import cli_ingest, cli_runtime

    cli_runtime.add_parsers(sub)
    cli_ingest.add_parsers(sub)
    from correlator.respond import cli as respond_cli

    respond_cli.add_parser(sub)
    return parser


def cmd_replay(args: argparse.Namespace) -> int:
    from correlator.alerts import encode_alert, finding_to_ocsf, render_alert_text
    from correlator.runtime.replay import format_summary, replay
    from correlator.wiring import (
        build_engine,
        build_keyed_engine,
        build_normalizer,
        load_cli_settings,
    )

    check_inputs(args.paths)
    settings = load_cli_settings(args.config, geoip_dir=args.geoip_dir)
    out = args.out.open("wb") if args.out else sys.stdout.buffer  # fails before the work does
    try:
        engine = build_engine(settings)
        normalizer = build_normalizer(settings)
        now = int(time.time() * 1000)
        result = replay(args.paths, engine, normalizer, now, keyed=build_keyed_engine(settings))
        for finding in result.findings:
            if args.pretty:
                text = render_alert_text(finding_to_ocsf(finding, product_version=__version__))
                out.write(text.encode() + b"\n\n")
            else:
                out.write(encode_alert(finding, product_version=__version__) + b"\n")
    finally:
        if args.out:
            out.close()
        else:
            out.flush()
    print(format_summary(result), file=sys.stderr)
    if args.stats:
        args.stats.write_bytes(orjson.dumps(result.stats(), option=orjson.OPT_INDENT_2))
    unreadable = sorted({r.location for r in result.rejects if r.reason == UNREADABLE})
    if unreadable:
        print(f"error: {len(unreadable)} input file(s) could not be read", file=sys.stderr)
        return 1
    return 0


UNREADABLE = "unreadable_file"


def check_inputs(paths: Sequence[Path]) -> None:
    """Every path named on the command line exists and can be read, before any work is done."""
    for path in paths:
        if not path.exists():
            raise UsageError(f"cannot read {path}: no such file or directory")
        if not os.access(path, os.R_OK | (os.X_OK if path.is_dir() else 0)):
            raise UsageError(f"cannot read {path}: permission denied")
        if not (path.is_dir() or path.is_file()):
            raise UsageError(f"cannot read {path}: not a file or directory")


def cmd_simulate(args: argparse.Namespace) -> int:
    from correlator.simulate import SimulationConfig, simulate, write_simulation

    config = SimulationConfig(
        users=args.users, days=args.days, seed=args.seed, attacks=args.attacks
    )
    counts = write_simulation(simulate(config), args.out)
    parts = ", ".join(f"{k} {v}" for k, v in counts.items())
    print(
        f"wrote a tenant of {args.users} users over {args.days} days to {args.out}: {parts}",
        file=sys.stderr,
    )
    return 0


def _log_thread_failure(args: threading.ExceptHookArgs) -> None:
    """A thread's uncaught exception goes through the masking log formatter, not raw stderr."""
    name = args.thread.name if args.thread is not None else "?"
    exc_info = (args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback)
    log.error("thread %s failed", name, exc_info=exc_info)


def cmd_learn_egress(args: argparse.Namespace) -> int:
    import yaml

    from correlator.engine.egress import EgressLearner
    from correlator.engine.facts import to_facts
    from correlator.model import SignIn
    from correlator.runtime.replay import ReplayResult, parse_files
    from correlator.sources.files import input_files
    from correlator.wiring import build_enricher, build_normalizer, load_cli_settings

    if args.min_users < 2:
        raise ConfigError("--min-users must be at least 2")
    settings = load_cli_settings(args.config, geoip_dir=args.geoip_dir)
    enricher, result = build_enricher(settings), ReplayResult()
    events = parse_files(
        input_files(args.paths)[0], build_normalizer(settings), int(time.time() * 1000), result
    )
    learner = EgressLearner()
    learner.observe_all(
        (e.user, to_facts(e, enricher.network(e))) for e in events if isinstance(e, SignIn)
    )
    learned = learner.learned(args.min_users)
    args.out.write_text(yaml.safe_dump(learned, sort_keys=True), encoding="utf-8")
    print(
        f"learned {len(learned['asns'])} ASNs and {len(learned['prefixes'])} networks used by "
        f"at least {args.min_users} users; point learned_egress at {args.out}",
        file=sys.stderr,
    )
    return 0


def tune_gc() -> None:
    """Collect cycles far less often: every record allocates a few hundred short-lived, acyclic
    objects, and the default threshold (700) ran a collection every few records, a third of
    the core's time in the benchmark. Long-lived start-up objects are frozen out of the scans."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # for `run --workers`
    tune_gc()
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    redact.install(logging.getLogger().handlers)
    redact.register_environment(os.environ)
    redact.register_arguments(vars(args))
    threading.excepthook = _log_thread_failure
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(redact.shown(f"error: {exc}"), file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(redact.shown(f"configuration error: {exc}"), file=sys.stderr)
        return 2
    except CorrelatorError as exc:
        print(redact.shown(f"error: {exc}"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except OSError as exc:
        if exc.filename is None:
            log.exception("unexpected error")
            return 1
        # A path given on the command line that cannot be written or read: the user's to fix.
        print(redact.shown(f"error: cannot use {exc.filename}: {exc.strerror}"), file=sys.stderr)
        return 2
    except Exception:
        # Masked like every log line: a library's exception text may quote a setting.
        log.exception("unexpected error")
        return 1


if __name__ == "__main__":
    sys.exit(main())
