"""The compose one-shots' shell scripts, run here with stand-ins for Kafka's command-line tools.

In the stack they run in the apache/kafka image (BusyBox sh); here under the local POSIX sh. The
stand-ins record their arguments and what they read on stdin, so the tests see which topics
are created and exactly which messages the simulator's producer would send.
"""

from __future__ import annotations

import itertools
import re
import shlex
import subprocess
from collections import Counter
from pathlib import Path

import orjson
import pytest

from correlator.cli import build_parser, main
from correlator.runconfig import RunSettings
from correlator.runtime.topics import Topics
from correlator.sources import decode_payload
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


@pytest.fixture(scope="module")
def produced(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small simulated tenant where the stack's volume would hold it, then the producer."""
    tmp = tmp_path_factory.mktemp("stack")
    volume = tmp / "sim-data"
    simulator = SERVICES["simulator"]
    args = build_parser().parse_args(simulator["command"])
    (mount,) = [t for v, t in named_volumes(simulator) if v == "sim-data"]
    out = volume / Path(args.out).relative_to(mount)
    assert main(["simulate", "--users", "40", "--days", "6", "--seed", "3", "--out", str(out)]) == 0
    producer = SERVICES["sim-producer"]
    (target,) = [t for v, t in named_volumes(producer) if v == "sim-data"]
    script = re.sub(rf"(?<![\w/]){re.escape(target)}/", f"{volume}/", shell_script(producer))
    return _run(script, tmp), out


def _messages(out: Path, topic: str) -> list[tuple[str, bytes]]:
    lines = (out / f"{topic}.messages").read_bytes().splitlines()
    return [(key.decode(), value) for key, _, value in (line.partition(b"|") for line in lines)]


def test_every_raw_topic_receives_the_simulated_logs(produced: tuple[Path, Path]) -> None:
    out, sim = produced
    topics = Topics()
    logs = sim / "logs"
    expected = {
        topics.audits: len((logs / "audits" / "directoryAudits.jsonl").read_bytes().splitlines()),
        topics.tickets: len((logs / "helpdesk" / "tickets.jsonl").read_bytes().splitlines()),
        topics.calls: 1,
        topics.signins: len(list((logs / "signins").glob("page-*.json"))),
        topics.vpn: len((logs / "vpn" / "gateways.log").read_bytes().splitlines()),
    }
    assert {t: len(_messages(out, t)) for t in topics.raw} == expected


def test_messages_are_keyed_and_decode_as_the_normalize_stage_reads_them(
    produced: tuple[Path, Path],
) -> None:
    out, _ = produced
    for topic in Topics().raw:
        for key, value in _messages(out, topic):
            assert key and "{" not in key, f"{topic}: key {key!r}"
            assert decode_payload(value), topic


def test_sign_in_pages_go_oldest_first_and_lose_no_record(produced: tuple[Path, Path]) -> None:
    out, sim = produced
    pages = [orjson.loads(value)["value"] for _, value in _messages(out, Topics().signins)]
    spans = [
        (min(r["createdDateTime"] for r in p), max(r["createdDateTime"] for r in p)) for p in pages
    ]
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans)), spans
    on_disk = sum(
        len(orjson.loads(p.read_bytes())["value"])
        for p in (sim / "logs" / "signins").glob("*.json")
    )
    assert sum(len(p) for p in pages) == on_disk


def test_messages_fit_the_producer_and_topic_limits(produced: tuple[Path, Path]) -> None:
    out, _ = produced
    largest = max(len(v) for t in Topics().raw for _, v in _messages(out, t))
    for argv in _calls(out, "kafka-console-producer.sh"):
        props = dict(p.split("=", 1) for p in _option(argv, "--producer-property"))
        assert int(props["max.request.size"]) >= largest
        assert int(props["max.request.size"]) <= MAX_BYTES
        readers = dict(p.split("=", 1) for p in _option(argv, "--property"))
        assert readers == {"parse.key": "true", "key.separator": "|"}
    keys = Counter(key for key, _ in _messages(out, Topics().signins))
    assert len(keys) == 1, "one key keeps the pages in order on one partition"
