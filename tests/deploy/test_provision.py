"""`make test` provisions its system tools through the script `.ci/run` uses, or says how."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / ".ci" / "provision"


def _bin_with(tmp_path: Path, *tools: str) -> Path:
    """A PATH directory holding only ``tools`` (links to the real ones) and the basics."""
    bindir = tmp_path / "bin"
    bindir.mkdir()
    for tool in ("id", *tools):
        # This interpreter as python3: it has the headers the compiled core is built with.
        real = sys.executable if tool == "python3" else shutil.which(tool)
        assert real is not None, f"{tool} is not installed"
        (bindir / tool).symlink_to(real)
    return bindir


BUILD_TOOLS = ("cc", "python3")  # the compiled core's: a C compiler, Python with its headers


def _provision(bindir: Path, *prefix: str) -> subprocess.CompletedProcess[str]:
    sh = shutil.which("sh")
    assert sh is not None
    return subprocess.run(
        [*prefix, sh, str(SCRIPT)],
        env={"PATH": str(bindir), "HOME": str(bindir)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_nothing_to_do_when_the_tools_are_there(tmp_path: Path) -> None:
    result = _provision(_bin_with(tmp_path, "redis-server", "promtool", "prometheus", *BUILD_TOOLS))
    assert (result.returncode, result.stderr) == (0, "")


def test_without_a_compiler_it_names_the_build_packages(tmp_path: Path) -> None:
    result = _provision(_bin_with(tmp_path, "redis-server", "promtool", "prometheus", "python3"))
    assert result.returncode == 1
    assert "the tests need: gcc libc6-dev" in result.stderr


def test_without_apt_it_names_what_is_missing_and_stops(tmp_path: Path) -> None:
    result = _provision(_bin_with(tmp_path, "promtool", *BUILD_TOOLS))
    assert result.returncode == 1
    assert "the tests need: redis-server prometheus" in result.stderr
    assert "apt-get install -y redis-server prometheus" in result.stderr


@pytest.mark.skipif(shutil.which("apt-get") is None, reason="no apt-get on this machine")
def test_without_root_it_prints_the_one_command() -> None:
    # Not under pytest's tmp_path: its parents are private to root, and this runs as nobody.
    shared = Path(tempfile.mkdtemp(prefix="correlator-provision-"))
    shared.chmod(0o755)
    try:
        _check_unprivileged(_bin_with(shared, "apt-get", "redis-server", *BUILD_TOOLS))
    finally:
        shutil.rmtree(shared)


def _check_unprivileged(bindir: Path) -> None:
    prefix: tuple[str, ...] = ()
    if os.getuid() == 0:
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv to drop privileges")
        prefix = (setpriv, "--reuid=65534", "--regid=65534", "--clear-groups")
    result = _provision(bindir, *prefix)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].strip() == "sudo apt-get install -y prometheus"


def test_make_test_and_ci_run_use_the_script_and_mypy() -> None:
    dry = subprocess.run(
        ["make", "-n", "test", "lint"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert dry.returncode == 0, dry.stderr
    lines = dry.stdout.splitlines()
    provision = lines.index("sh .ci/provision")
    pytest_at = next(i for i, line in enumerate(lines) if "-m pytest" in line)
    assert provision < pytest_at
    assert sum("-m mypy --strict correlator" in line for line in lines) == 2  # test and lint
    ci_run = (ROOT / ".ci" / "run").read_text().splitlines()
    assert ".ci/provision" in ci_run and "make test" in ci_run
