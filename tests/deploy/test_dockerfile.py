"""deploy/Dockerfile and .dockerignore, read as Docker would (no engine runs here)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any
from unittest.mock import MagicMock

import pytest

from correlator.cli import build_parser
from correlator.runconfig import RunSettings
from correlator.runtime.service import serve_health
from tests.deploy.kit import REPO, copy_sources, dockerfile, in_build_context, is_pinned

INSTRUCTIONS = dockerfile()


def _all(keyword: str) -> list[str]:
    return [i.args for i in INSTRUCTIONS if i.keyword == keyword]


def _last(keyword: str) -> Any:
    found = [i for i in INSTRUCTIONS if i.keyword == keyword]
    assert found, f"no {keyword} in deploy/Dockerfile"
    return found[-1]


def test_multi_stage_with_pinned_python_slim_bases() -> None:
    froms = _all("FROM")
    assert len(froms) >= 2, "a builder stage and a runtime stage"
    stages = {args.split()[-1].lower() for args in froms if " as " in args.lower()}
    for args in froms:
        image = args.split()[0]
        assert image.lower() in stages or is_pinned(image), f"FROM {image} is not pinned"
    runtime = froms[-1].split()[0]
    assert runtime.startswith("python:3.11.") and "-slim" in runtime, runtime


def test_builder_builds_a_wheel_the_runtime_installs_offline() -> None:
    runs = " ".join(_all("RUN"))
    assert "pip wheel" in runs
    assert "--no-index" in runs and "--find-links=/wheels" in runs


def test_runs_as_a_fixed_numeric_non_root_uid() -> None:
    user = _last("USER").args
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) >= 1000, f"USER {user}: want a fixed numeric UID"


def test_exec_form_entrypoint_and_a_command_the_cli_accepts() -> None:
    assert _last("ENTRYPOINT").exec_form() == ["correlator"], "exec form lets SIGTERM reach it"
    cmd = _last("CMD").exec_form()
    assert cmd is not None
    build_parser().parse_args(cmd)


def test_exposes_the_metrics_port() -> None:
    assert str(RunSettings().metrics_port) in " ".join(_all("EXPOSE")).split()


def test_copy_sources_exist_and_reach_the_build_context() -> None:
    sources = copy_sources(INSTRUCTIONS)
    assert "pyproject.toml" in sources
    for source in sources:
        assert (REPO / source).exists(), f"COPY {source}: missing"
        assert in_build_context(source), f"COPY {source}: excluded by .dockerignore"


def test_dockerignore_keeps_the_package_and_drops_the_rest() -> None:
    for path in (
        "correlator/cli.py",
        "correlator/runtime/runner.py",
        "correlator/py.typed",
        "setup.py",
    ):
        assert in_build_context(path), path
    for path in (
        ".venv/bin/python",
        ".git/HEAD",
        "tests/conftest.py",
        "correlator/__pycache__/x.pyc",
        "correlator/engine/engine.cpython-311-x86_64-linux-gnu.so",  # built for this machine
    ):
        assert not in_build_context(path), path


@pytest.fixture
def health_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # /healthz answers without consulting the runner: a stand-in is enough.
    server = serve_health(MagicMock(), port, host="127.0.0.1")
    assert server is not None
    try:
        yield port
    finally:
        server.shutdown()
        server.server_close()


def _healthcheck(port: int) -> int:
    argv = _last("HEALTHCHECK").exec_form()
    assert argv is not None and argv[0] == "python", "exec form, with the image's python"
    env = {**os.environ, "CORRELATOR_METRICS_PORT": str(port)}
    return subprocess.run([sys.executable, *argv[1:]], env=env, capture_output=True).returncode


def test_healthcheck_passes_against_the_real_health_endpoint(health_port: int) -> None:
    assert _healthcheck(health_port) == 0


def test_healthcheck_fails_when_nothing_answers() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    assert _healthcheck(closed) != 0
