"""Every subcommand runs with the production install: nothing in correlator/ needs a dev extra.

The image installs ``correlator`` without extras. Two checks: every third-party module the
package imports belongs to a main dependency (or one of theirs), apart from the faust runtime's
modules, which may import the ``faust`` extra; and the commands the image
offers (``simulate``, then ``replay`` of what it wrote) run in a child process in which every
module of a development-only distribution refuses to import.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from functools import cache
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "correlator"


def _project() -> dict[str, object]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert isinstance(project, dict)
    return project


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", Requirement(requirement).name).lower()


@cache
def _closure(roots: frozenset[str]) -> frozenset[str]:
    """The distributions ``roots`` pull in (without extras), installed ones only."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for text in requires:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(_name(text))
    return frozenset(seen)


def _main() -> frozenset[str]:
    deps = _project()["dependencies"]
    assert isinstance(deps, list)
    return _closure(frozenset(_name(d) for d in deps))


def _requirements(extra: str) -> list[str]:
    """An extra's requirements, the project's own extras in it (``correlator[faust]``) expanded."""
    extras = _project()["optional-dependencies"]
    assert isinstance(extras, dict)
    found: list[str] = []
    for text in extras[extra]:
        if _name(text) == "correlator":
            for inner in sorted(Requirement(text).extras):
                found += _requirements(inner)
        else:
            found.append(text)
    return found


def _extra(name: str) -> frozenset[str]:
    """What an extra adds to the main install."""
    return _closure(frozenset(_name(d) for d in _requirements(name))) - _main()


def _dev_only() -> frozenset[str]:
    return _extra("dev")


# The faust runtime's own modules: the only ones that may import the `faust` extra.
FAUST_RUNTIME = frozenset(PACKAGE.glob("runtime/faust_*.py"))


def _imported_modules(*, faust_runtime: bool = False) -> set[str]:
    found: set[str] = set()
    for path in PACKAGE.rglob("*.py"):
        if (path in FAUST_RUNTIME) != faust_runtime:
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"correlator", "__future__"}


def _distributions_of(module: str) -> set[str]:
    return {re.sub(r"[-_.]+", "-", d).lower() for d in metadata.packages_distributions()[module]}


def test_every_import_is_a_main_dependency() -> None:
    modules = _imported_modules()
    assert {"confluent_kafka", "msgspec", "mmdb_writer", "netaddr"} <= modules
    main = _main()
    outside = {m: _distributions_of(m) for m in modules if not _distributions_of(m) & main}
    assert not outside, f"imported by correlator/ but not a main dependency: {outside}"


def test_the_faust_extra_is_imported_by_the_faust_runtime_alone() -> None:
    assert len(FAUST_RUNTIME) >= 5
    modules = _imported_modules(faust_runtime=True)
    assert "faust" in modules
    allowed = _main() | _extra("faust")
    outside = {m: _distributions_of(m) for m in modules if not _distributions_of(m) & allowed}
    assert not outside, f"imported by the faust runtime, in no dependency or extra: {outside}"
    assert "faust-streaming" not in _main()  # `pip install correlator` goes without it


# Runs the CLI with a finder in front of sys.meta_path that refuses the blocked modules.
_BLOCKED_RUN = """
import sys
blocked = frozenset(sys.argv[1].split(","))
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            raise ImportError(f"{name} is development-only")
        return None
sys.meta_path.insert(0, Refuse())
from correlator.cli import main
sys.exit(main(sys.argv[2:]))
"""


def _without_dev(*argv: str) -> subprocess.CompletedProcess[str]:
    distributions = metadata.packages_distributions()
    blocked = {
        module
        for module, dists in distributions.items()
        if {re.sub(r"[-_.]+", "-", d).lower() for d in dists} <= _dev_only()
    }
    assert {"pytest", "hypothesis", "mypy"} <= blocked
    return subprocess.run(
        [sys.executable, "-c", _BLOCKED_RUN, ",".join(sorted(blocked)), *argv],
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_simulate_and_replay_run_without_dev_packages(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    simulated = _without_dev("simulate", "--users", "12", "--days", "4", "--out", str(out))
    assert simulated.returncode == 0, simulated.stderr
    assert (out / "geoip").is_dir() and any((out / "geoip").glob("*.mmdb"))
    replayed = _without_dev(
        "replay", str(out / "logs"), "--config", str(out / "correlator.yaml"), "--out",
        str(tmp_path / "alerts.jsonl"),
    )  # fmt: skip
    assert replayed.returncode == 0, replayed.stderr
    assert "records read:" in replayed.stderr


def test_every_subcommand_answers_help_without_dev_packages() -> None:
    from correlator.cli import build_parser

    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert {"replay", "simulate", "run", "broker", "demo"} <= set(commands)
    for command in commands:
        result = _without_dev(command, "--help")
        assert result.returncode == 0 and "usage: correlator" in result.stdout, result.stderr
