"""The compose one-shots: kafka-init's shell script, run here with stand-ins for Kafka's
command-line tools (in the stack it runs in the apache/kafka image's BusyBox sh; here under the
local POSIX sh; the stand-ins record their arguments), and the simulated tenant's ingest."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path

from correlator.cli import build_parser, main
from correlator.connectors.file_ingest import plan
from correlator.runconfig import RunSettings
from correlator.runtime.topics import Topics
from tests.deploy.kit import compose, environment, named_volumes, shell_script

SERVICES = compose()["services"]
KAFKA_BIN = "/opt/kafka/bin/"
MAX_BYTES = int(environment(SERVICES["kafka"])["KAFKA_MESSAGE_MAX_BYTES"])

_RECORDER = """#!/bin/sh
# Stand-in for {tool}: one line of arguments per call; stdin kept per --topic.
printf '%s\\n' "$*" >> "{out}/{tool}.calls"
topic=none
while [ $# -gt 0 ]; do
  if [ "$1" = "--topic" ]; then topic="$2"; fi
  shift
done
if [ "{tool}" = kafka-console-producer.sh ]; then cat >> "{out}/$topic.messages"; fi
"""


def _run(script: str, tmp_path: Path) -> Path:
    """Run ``script`` with Kafka's tools replaced by recorders; returns their output folder."""
    out, bin_dir = tmp_path / "out", tmp_path / "bin"
    out.mkdir()
    bin_dir.mkdir()
    for tool in ("kafka-topics.sh", "kafka-console-producer.sh"):
        stub = bin_dir / tool
        stub.write_text(_RECORDER.format(tool=tool, out=out), encoding="utf-8")
        stub.chmod(0o755)
    script = script.replace(KAFKA_BIN, f"{bin_dir}/")
    subprocess.run(["sh", "-c", script], check=True, capture_output=True, timeout=120)
    return out


def _calls(out: Path, tool: str) -> list[list[str]]:
    path = out / f"{tool}.calls"
    return [shlex.split(line) for line in path.read_text().splitlines()] if path.exists() else []


def _option(argv: list[str], name: str) -> list[str]:
    return [argv[i + 1] for i, word in enumerate(argv[:-1]) if word == name]


def test_kafka_init_creates_every_topic_of_the_job(tmp_path: Path) -> None:
    out = _run(shell_script(SERVICES["kafka-init"]), tmp_path)
    creates = [argv for argv in _calls(out, "kafka-topics.sh") if "--create" in argv]
    topics = {_option(argv, "--topic")[0] for argv in creates}
    assert topics == set(Topics().all)
    for argv in creates:
        assert _option(argv, "--bootstrap-server") == ["kafka:9092"]
        assert _option(argv, "--partitions") == [str(RunSettings().partitions)]
        assert "--if-not-exists" in argv, "the one-shot must be safe to run again"
        assert f"max.message.bytes={MAX_BYTES}" in _option(argv, "--config")


def test_sim_ingest_reads_the_logs_the_simulator_writes(tmp_path: Path) -> None:
    """The one-shot ingest reads the simulator's logs/ through the shared volume, and every raw
    topic gets records from it (the Kafka side is tested in tests/connectors)."""
    simulator, ingest = SERVICES["simulator"], SERVICES["sim-ingest"]
    sim_args = build_parser().parse_args(simulator["command"])
    ingest_args = build_parser().parse_args(ingest["command"])
    (sim_mount,) = [t for v, t in named_volumes(simulator) if v == "sim-data"]
    (ingest_mount,) = [t for v, t in named_volumes(ingest) if v == "sim-data"]
    sim_out = Path(sim_args.out).relative_to(sim_mount)
    (logs,) = [Path(p).relative_to(ingest_mount) for p in ingest_args.paths]
    assert logs == sim_out / "logs"
    assert ingest_args.no_progress and environment(ingest)["KAFKA_BOOTSTRAP_SERVERS"]
    out = tmp_path / sim_out
    assert main(["simulate", "--users", "20", "--days", "4", "--seed", "3", "--out", str(out)]) == 0
    result = plan([tmp_path / logs])
    assert set(result.by_topic()) == {"signins", "audits", "tickets", "calls", "vpn"}
    assert not result.refused
