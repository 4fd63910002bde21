"""The core's hot path runs compiled (setup.py, mypyc) wherever the build could compile it.

The suite then tests the extensions users run, and a build that silently fell back to Python
(no compiler on the machine) fails here instead of only running slower.
"""

from __future__ import annotations

import ast
import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def compiled_modules() -> list[str]:
    tree = ast.parse((ROOT / "setup.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "COMPILED":
            paths = ast.literal_eval(node.value)
            return [p.removesuffix(".py").replace("/", ".") for p in paths]
    raise AssertionError("setup.py has no COMPILED list")


@pytest.mark.skipif(
    os.environ.get("CORRELATOR_PURE_PYTHON", "") not in ("", "0"),
    reason="built as pure Python on purpose",
)
@pytest.mark.parametrize("name", compiled_modules())
def test_the_module_is_an_extension(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__file__ is not None and module.__file__.endswith(".so"), module.__file__


def _replay(pythonpath: str | None, tenant: Path, out: Path) -> bytes:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    args = ["--config", str(tenant / "correlator.yaml"), "--geoip-dir", str(tenant / "geoip")]
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "correlator",
            "replay",
            *args,
            "--out",
            str(out),
            str(tenant / "logs"),
        ],
        env=env,
        cwd=out.parent,  # not the project root, whose package would come first on sys.path
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return out.read_bytes()


def test_compiled_and_interpreted_core_write_the_same_alerts(tmp_path: Path) -> None:
    # A simulated tenant with attacks, replayed by the installed (compiled) package and by a
    # copy of its Python sources alone: every alert byte-identical.
    import correlator
    from correlator.simulate import SimulationConfig, simulate, write_simulation

    tenant = tmp_path / "tenant"
    write_simulation(simulate(SimulationConfig(users=150, days=12, seed=5, attacks=8)), tenant)
    source = Path(correlator.__file__).parent
    shutil.copytree(
        source,
        tmp_path / "pure" / "correlator",
        ignore=shutil.ignore_patterns("*.so", "__pycache__"),
    )
    probe = "import correlator.engine.engine as m; print(m.__file__)"
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "pure")}
    loaded = subprocess.run(
        [sys.executable, "-c", probe], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert loaded.stdout.strip().endswith("engine.py"), loaded  # the copy, not the extension
    compiled = _replay(None, tenant, tmp_path / "compiled.jsonl")
    interpreted = _replay(str(tmp_path / "pure"), tenant, tmp_path / "pure.jsonl")
    assert compiled.count(b"\n") >= 50  # the attacks were found, not two empty files compared
    assert compiled == interpreted
