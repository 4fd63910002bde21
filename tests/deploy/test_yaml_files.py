"""Every YAML file of the deployment kit parses (multi-document files included)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.deploy.kit import DEPLOY, yaml_documents

FILES = sorted(p for p in DEPLOY.rglob("*") if p.suffix in (".yml", ".yaml"))


def test_the_kit_has_yaml_files() -> None:
    names = {p.relative_to(DEPLOY).as_posix() for p in FILES}
    assert {"docker-compose.yml", "config/correlator.yaml", "k8s/kustomization.yaml"} <= names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.relative_to(DEPLOY).as_posix())
def test_parses(path: Path) -> None:
    docs = yaml_documents(path)
    assert docs, f"{path.name} holds no document"
    assert all(isinstance(doc, dict) for doc in docs), f"{path.name}: a mapping per document"
