"""Readers for the deployment kit: YAML documents, the Dockerfile, .dockerignore, compose scripts.

No Docker engine or Kubernetes cluster runs here, so the tests read the files the way the tools
would and check them against what the job really accepts (its parser, its settings resolution).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from correlator.runconfig import _SCALARS, ENV_KAFKA_PREFIX, TOPIC_FIELDS
from correlator.runtime.clients import consumer_config

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
DOCKERFILE = DEPLOY / "Dockerfile"
K8S = DEPLOY / "k8s"
EXAMPLE_CONFIG = DEPLOY / "config" / "correlator.yaml"

_ENV_READ = re.compile(
    r"""(?:os\.environ\.get|os\.getenv|os\.environ\[)\(?\s*["']([A-Z0-9_]+)["']"""
)


def yaml_documents(path: Path) -> list[Any]:
    with path.open(encoding="utf-8") as fh:
        return [doc for doc in yaml.safe_load_all(fh) if doc is not None]


def compose() -> dict[str, Any]:
    (doc,) = yaml_documents(COMPOSE)
    return doc


def k8s_objects() -> list[dict[str, Any]]:
    """Every Kubernetes object of the kit (kustomization.yaml apart)."""
    objects = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            objects.extend(yaml_documents(path))
    return objects


def kind(objects: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [o for o in objects if o.get("kind") == name]


# --- what the job reads -------------------------------------------------------------------


def accepted_env() -> tuple[frozenset[str], tuple[str, ...]]:
    """Environment names the job reads, and the prefixes it passes through."""
    names = {env for _, envs, _, _ in _SCALARS for env in envs}
    names |= {f"CORRELATOR_TOPIC_{name.upper()}" for name in TOPIC_FIELDS}
    for source in (REPO / "correlator").rglob("*.py"):
        names |= set(_ENV_READ.findall(source.read_text(encoding="utf-8")))
    return frozenset(names), (ENV_KAFKA_PREFIX,)


def is_accepted(name: str) -> bool:
    names, prefixes = accepted_env()
    return name in names or name.startswith(prefixes)


def session_timeout_s(props: Mapping[str, str]) -> float:
    """The consumer session timeout the job ends up with, given pass-through properties."""
    config = consumer_config("bootstrap:9092", "group", props)
    return int(config["session.timeout.ms"]) / 1000  # type: ignore[call-overload]


# --- Dockerfile ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str

    def exec_form(self) -> list[str] | None:
        """The JSON array of an exec-form instruction, else None."""
        text = self.args
        if self.keyword == "HEALTHCHECK":
            text = text.split("CMD", 1)[1] if "CMD" in text else ""
        try:
            value = json.loads(text.strip())
        except json.JSONDecodeError:
            return None
        return value if isinstance(value, list) else None


def dockerfile(path: Path = DOCKERFILE) -> list[Instruction]:
    """Instructions with continuation lines joined and comments dropped."""
    instructions: list[Instruction] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, args = (pending + line).partition(" ")
        instructions.append(Instruction(keyword.upper(), " ".join(args.split())))
        pending = ""
    return instructions


def copy_sources(instructions: list[Instruction]) -> list[str]:
    """Build-context paths that COPY/ADD read (copies from another stage excluded)."""
    sources: list[str] = []
    for ins in instructions:
        if ins.keyword not in ("COPY", "ADD"):
            continue
        words = shlex.split(ins.args)
        if any(w.startswith("--from=") for w in words):
            continue
        sources.extend(w for w in words[:-1] if not w.startswith("--"))
    return sources


def _ignore_regex(pattern: str) -> re.Pattern[str]:
    out = ""
    for token in re.split(r"(\*\*|\*|\?)", pattern.strip("/")):
        out += {"**": ".*", "*": "[^/]*", "?": "[^/]"}.get(token, re.escape(token))
    return re.compile(out + r"\Z")


def in_build_context(relative: str, dockerignore: Path = REPO / ".dockerignore") -> bool:
    """Whether .dockerignore keeps ``relative`` (last matching rule wins; ``!`` re-includes)."""
    parts = Path(relative).parts
    candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    included = True
    for line in dockerignore.read_text(encoding="utf-8").splitlines():
        rule = line.strip()
        if not rule or rule.startswith("#"):
            continue
        negate = rule.startswith("!")
        regex = _ignore_regex(rule.lstrip("!"))
        if any(regex.match(c) for c in candidates):
            included = negate
    return included


# --- compose ------------------------------------------------------------------------------


def image_tag(image: str) -> str | None:
    """The tag of ``repo[:tag][@digest]``, None when there is none."""
    name = image.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return last.split(":", 1)[1] if ":" in last else None


def is_pinned(image: str) -> bool:
    tag = image_tag(image)
    return "@sha256:" in image or (
        tag is not None and tag != "latest" and any(c.isdigit() for c in tag)
    )


def uninterpolated(text: str) -> str:
    """A compose string as the container sees it: ``$$`` is a literal ``$``."""
    return text.replace("$$", "$")


def shell_script(service: Mapping[str, Any]) -> str:
    """The script of a service whose entrypoint is ``sh -c`` and whose command is the script."""
    assert service["entrypoint"][:2] == ["/bin/sh", "-c"], service["entrypoint"]
    (script,) = service["command"]
    return uninterpolated(script)


def command_argv(command: str | list[str]) -> list[str]:
    return shlex.split(command) if isinstance(command, str) else [str(c) for c in command]


def environment(service: Mapping[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(k): str(v) for k, v in env.items()}


def bind_mounts(service: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(host path, container path) of the service's bind mounts (relative host paths)."""
    for volume in service.get("volumes") or ():
        source, target = _volume(volume)
        if source.startswith((".", "/")):
            yield source, target


def named_volumes(service: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for volume in service.get("volumes") or ():
        source, target = _volume(volume)
        if not source.startswith((".", "/")):
            yield source, target


def _volume(volume: str | Mapping[str, Any]) -> tuple[str, str]:
    if isinstance(volume, Mapping):
        return str(volume["source"]), str(volume["target"])
    source, target = volume.split(":")[:2]
    return source, target
