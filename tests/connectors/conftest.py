"""The fake Graph/Entra server over TLS with a private CA, and clients pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from correlator.connectors.auth import GRAPH_SCOPE, AppCredentials, TokenProvider
from correlator.connectors.graph import GraphClient
from tests.connectors.fake_graph import CLIENT_ID, SECRET, TENANT, FakeGraph
from tests.connectors.tls import Tls, make_tls


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    return make_tls(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def fake_graph(tls: Tls) -> Iterator[FakeGraph]:
    with FakeGraph(tls) as fake:
        yield fake


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "client-secret"
    path.write_text(SECRET + "\n")
    return path


def provider_for(fake: FakeGraph, tls: Tls, scope: str = GRAPH_SCOPE) -> TokenProvider:
    credentials = AppCredentials(TENANT, CLIENT_ID, secret=SECRET)
    return TokenProvider(credentials, scope, authority=fake.url, ca_bundle=tls.ca_file)


class Sleeps:
    """The sleep handed to the client: records each pause instead of waiting it out."""

    def __init__(self) -> None:
        self.pauses: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.pauses.append(seconds)


def client_for(fake: FakeGraph, tls: Tls, sleeps: Sleeps | None = None) -> GraphClient:
    provider = provider_for(fake, tls)
    return GraphClient(
        provider.bearer,
        base_url=fake.url,
        ca_bundle=tls.ca_file,
        limit=None,
        sleep=sleeps if sleeps is not None else Sleeps(),
    )
