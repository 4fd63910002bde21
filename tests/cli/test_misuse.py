"""Misuse, tried as a new user would: one clear line on stderr and a distinct exit code each.

Each case runs the real command in a child process: exit code 2 for what the user must fix in
the command line or the configuration, 1 for inputs that could not be read.
"""

from __future__ import annotations

import gzip
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


def correlator(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "correlator", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    """The last line; ``run`` may log its start-up (INFO) before it meets the problem."""
    *before, last = result.stderr.strip().splitlines()
    assert all(" INFO " in line for line in before), result.stderr
    return last


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(1)
        yield int(sock.getsockname()[1])


UNREACHABLE = "127.0.0.1:1"


def test_config_value_of_the_wrong_type(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("detection:\n  window_minutes: sixty\n")
    result = correlator("replay", str(tmp_path), "--config", str(config))
    assert result.returncode == 2
    assert one_line(result) == (
        f"configuration error: {config}: detection.window_minutes: expected a number, got a string"
    )


def test_config_scalar_for_a_list_and_unknown_key(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("detection:\n  privileged_users: bob@x\n")
    result = correlator("replay", str(tmp_path), "--config", str(config))
    assert (result.returncode, one_line(result)) == (
        2,
        f"configuration error: {config}: detection.privileged_users: expected a list, got a string",
    )
    config.write_text("detecton: {}\n")
    result = correlator("replay", str(tmp_path), "--config", str(config))
    assert (result.returncode, one_line(result)) == (
        2,
        f"configuration error: {config}: detecton: unknown setting",
    )


def test_replay_of_a_missing_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    result = correlator("replay", str(missing))
    assert (result.returncode, one_line(result)) == (
        2,
        f"error: cannot read {missing}: no such file or directory",
    )


def test_replay_of_an_unreadable_file(tmp_path: Path) -> None:
    (tmp_path / "good.jsonl").write_bytes(b"")
    (tmp_path / "broken.json.gz").write_bytes(gzip.compress(b'{"a": 1}\n')[:-12])
    result = correlator("replay", str(tmp_path))
    assert result.returncode == 1
    assert "broken.json.gz" in result.stderr  # the summary names the file and why
    assert result.stderr.strip().splitlines()[-1] == "error: 1 input file(s) could not be read"


def test_unknown_kafka_property() -> None:
    result = correlator("run", "--bootstrap-servers", UNREACHABLE, "-X", "foo.bar=1")
    assert result.returncode == 2
    assert error_line(result) == (
        'configuration error: Kafka client: No such configuration property: "foo.bar"'
    )


def test_bad_state_url_never_shows_its_password() -> None:
    result = correlator(
        "run", "--bootstrap-servers", UNREACHABLE, "--state", "postgres://app:pg-secret-1@db/x"
    )
    assert result.returncode == 2
    line = one_line(result)
    assert line.startswith("configuration error: state must be memory, redis://")
    assert "postgres://app:***@db/x" in line and "pg-secret-1" not in line


def test_metrics_port_in_use(busy_port: int) -> None:
    result = correlator(
        "run", "--bootstrap-servers", UNREACHABLE, "--metrics-bind", "127.0.0.1",
        "--metrics-port", str(busy_port),
    )  # fmt: skip
    assert result.returncode == 2
    assert one_line(result) == (
        f"error: cannot serve /metrics on 127.0.0.1:{busy_port}: Address already in use"
    )


def test_broker_port_in_use(busy_port: int) -> None:
    result = correlator("broker", "--port", str(busy_port))
    assert (result.returncode, one_line(result)) == (
        2,
        f"error: cannot start the broker on 127.0.0.1:{busy_port}: Address already in use",
    )


def test_a_count_below_one() -> None:
    result = correlator("simulate", "--users", "-5", "--out", "unused")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "correlator simulate: error: argument --users: must be at least 1, got -5"
    )


def test_replay_output_that_cannot_be_written(tmp_path: Path) -> None:
    (tmp_path / "in.jsonl").write_bytes(b"")
    out = tmp_path / "missing-dir" / "alerts.jsonl"
    result = correlator("replay", str(tmp_path / "in.jsonl"), "--out", str(out))
    assert result.returncode == 2
    assert error_line(result) == f"error: cannot use {out}: No such file or directory"
    assert "records read" not in result.stderr  # it stopped before doing the work
