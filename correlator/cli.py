"""The `correlator` command line. Only this module (and config) reads the environment."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import orjson

from correlator import __version__
from correlator.errors import ConfigError

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
    p.add_argument("--users", type=int, default=200)
    p.add_argument("--days", type=int, default=14)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--attacks", type=int, default=None)
    p.add_argument("--out", type=Path, required=True)
    p.set_defaults(func=cmd_simulate)


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
    from correlator import cli_runtime

    cli_runtime.add_parsers(sub)
    return parser


def cmd_replay(args: argparse.Namespace) -> int:
    from correlator.alerts import encode_alert, finding_to_ocsf, render_alert_text
    from correlator.runtime.replay import format_summary, replay
    from correlator.wiring import build_engine, build_normalizer, load_cli_settings

    settings = load_cli_settings(args.config, geoip_dir=args.geoip_dir)
    engine = build_engine(settings)
    normalizer = build_normalizer(settings)
    result = replay(args.paths, engine, normalizer, now_ms=int(time.time() * 1000))
    out = args.out.open("wb") if args.out else sys.stdout.buffer
    try:
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
    return 0


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
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
