"""The Graph client and the msal token provider against the fake Graph/Entra server."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from correlator.connectors.auth import (
    GRAPH_SCOPE,
    AppCredentials,
    AuthError,
    TokenProvider,
    credentials_from,
)
from correlator.connectors.graph import GraphError
from correlator.connectors.pacing import Backoff, RateLimit, parse_retry_after
from correlator.errors import ConfigError
from tests.connectors.conftest import Sleeps, client_for, provider_for
from tests.connectors.fake_graph import CLIENT_ID, SECRET, TENANT, FakeGraph, Fault
from tests.connectors.tls import Tls, make_client_certificate

PATH = "/v1.0/auditLogs/signIns"


def _records(n: int) -> list[dict[str, object]]:
    return [
        {"id": f"id-{i:03d}", "createdDateTime": f"2026-11-30T10:{i:02d}:00Z"} for i in range(n)
    ]


def test_secret_token_is_cached_by_msal(fake_graph: FakeGraph, tls: Tls) -> None:
    provider = provider_for(fake_graph, tls)
    first, second = provider.token(), provider.token()
    assert len(fake_graph.tokens_issued) == 1  # the second came from msal's cache
    assert first.token == second.token == fake_graph.tokens_issued[0]
    assert first.expires_at > time.time() + 3000


def test_token_is_refreshed_when_entra_says_so(fake_graph: FakeGraph, tls: Tls) -> None:
    fake_graph.refresh_in = 1  # Entra's proactive-refresh hint, in seconds
    provider = provider_for(fake_graph, tls)
    first, _ = provider.oauth_cb("")
    time.sleep(1.1)
    second, expiry = provider.oauth_cb("")
    assert fake_graph.tokens_issued == [first, second] and first != second
    assert expiry > time.time() + 3000


def test_certificate_credentials(fake_graph: FakeGraph, tls: Tls, tmp_path: Path) -> None:
    fake_graph.certificate = make_client_certificate(tmp_path / "app.pem")
    credentials = credentials_from(
        tenant_id=TENANT,
        client_id=CLIENT_ID,
        secret_file=None,
        certificate=tmp_path / "app.pem",
        env={},
    )
    assert "PRIVATE" not in repr(credentials)
    provider = TokenProvider(
        credentials, GRAPH_SCOPE, authority=fake_graph.url, ca_bundle=tls.ca_file
    )
    assert provider.bearer() == fake_graph.tokens_issued[0]


def test_wrong_secret_is_an_auth_error(fake_graph: FakeGraph, tls: Tls) -> None:
    credentials = AppCredentials(TENANT, CLIENT_ID, secret="wrong")
    provider = TokenProvider(
        credentials, GRAPH_SCOPE, authority=fake_graph.url, ca_bundle=tls.ca_file
    )
    with pytest.raises(AuthError, match="invalid_client") as caught:
        provider.token()
    assert "wrong" not in str(caught.value) and not fake_graph.tokens_issued


def test_credentials_never_in_repr_and_need_one_kind() -> None:
    assert SECRET not in repr(AppCredentials(TENANT, CLIENT_ID, secret=SECRET))
    with pytest.raises(ConfigError):
        AppCredentials(TENANT, CLIENT_ID)
    with pytest.raises(ConfigError, match="no credentials"):
        credentials_from(
            tenant_id=TENANT, client_id=CLIENT_ID, secret_file=None, certificate=None, env={}
        )
    env = {"AZURE_CLIENT_SECRET": SECRET, "AZURE_TENANT_ID": TENANT, "AZURE_CLIENT_ID": CLIENT_ID}
    from_env = credentials_from(
        tenant_id=None, client_id=None, secret_file=None, certificate=None, env=env
    )
    assert from_env.secret == SECRET and from_env.tenant_id == TENANT


def test_pages_follow_next_link(fake_graph: FakeGraph, tls: Tls) -> None:
    fake_graph.add(PATH, _records(7), "createdDateTime", page_size=3)
    pages = list(client_for(fake_graph, tls).pages(PATH))
    assert [len(p.records) for p in pages] == [3, 3, 1]
    assert pages[0].records[0]["id"] == "id-006"  # newest first, as Graph serves sign-ins
    assert sorted(r["id"] for p in pages for r in p.records) == [f"id-{i:03d}" for i in range(7)]


def test_retry_after_is_honoured_on_429_and_503(fake_graph: FakeGraph, tls: Tls) -> None:
    fake_graph.add(PATH, _records(4), "createdDateTime", page_size=3)
    fake_graph.faults += [
        Fault("status", "skiptoken", 429, retry_after="7"),
        Fault("status", "skiptoken", 503, retry_after="2"),
    ]
    sleeps = Sleeps()
    client = client_for(fake_graph, tls, sleeps)
    pages = list(client.pages(PATH))
    assert client.stats.throttled == 1 and client.stats.retries == 2
    assert 7.0 <= sleeps.pauses[0] <= 8.0 and 2.0 <= sleeps.pauses[1] <= 3.0
    assert sum(len(p.records) for p in pages) == 4


def test_5xx_without_retry_after_backs_off_then_succeeds(fake_graph: FakeGraph, tls: Tls) -> None:
    fake_graph.add(PATH, _records(2), "createdDateTime")
    fake_graph.faults += [Fault("status", PATH, 500), Fault("status", PATH, 502)]
    sleeps = Sleeps()
    pages = list(client_for(fake_graph, tls, sleeps).pages(PATH))
    assert len(sleeps.pauses) == 2 and sleeps.pauses[1] >= 1.0  # 2**1 s ceiling, half of it
    assert len(pages[0].records) == 2


def test_a_page_cut_half_way_is_fetched_again(fake_graph: FakeGraph, tls: Tls) -> None:
    fake_graph.add(PATH, _records(5), "createdDateTime", page_size=3)
    fake_graph.faults.append(Fault("cut", "skiptoken"))
    client = client_for(fake_graph, tls)
    pages = list(client.pages(PATH))
    assert client.stats.retries == 1
    assert sorted(r["id"] for p in pages for r in p.records) == [f"id-{i:03d}" for i in range(5)]


def test_malformed_page_and_4xx_are_errors_not_retries(fake_graph: FakeGraph, tls: Tls) -> None:
    fake_graph.add(PATH, _records(2), "createdDateTime")
    fake_graph.faults.append(Fault("malformed", PATH))
    client = client_for(fake_graph, tls)
    with pytest.raises(GraphError, match="malformed page"):
        list(client.pages(PATH))
    with pytest.raises(GraphError) as caught:
        client.get("/v1.0/no/such/collection")
    assert caught.value.status == 404 and client.stats.retries == 0


def test_gives_up_after_the_attempts(fake_graph: FakeGraph, tls: Tls) -> None:
    fake_graph.add(PATH, _records(1), "createdDateTime")
    fake_graph.faults += [Fault("status", PATH, 503, retry_after="1") for _ in range(3)]
    client = client_for(fake_graph, tls)
    client.backoff = Backoff(attempts=3)
    with pytest.raises(Exception, match="gave up after retries") as caught:
        client.get(PATH)
    assert caught.type.__name__ == "GraphUnavailable"


def test_rate_limit_keeps_five_requests_in_any_ten_seconds() -> None:
    now = [0.0]

    def sleep(seconds: float) -> None:
        now[0] += seconds

    limit = RateLimit(clock=lambda: now[0], sleep=sleep)
    starts = []
    for _ in range(12):
        limit.acquire()
        starts.append(now[0])
    assert all(starts[i + 5] - starts[i] >= 10.0 for i in range(len(starts) - 5))
    assert starts[4] == 0.0 and starts[5] == 10.0  # a burst of five, then one window later


def test_backoff_jitter_and_retry_after_forms() -> None:
    backoff = Backoff(rand=lambda: 1.0)
    assert backoff.delay(0, 5.0) == 6.0 and backoff.delay(3, None) == 8.0
    assert parse_retry_after("12", 0.0) == 12.0
    assert parse_retry_after("Thu, 01 Jan 1970 00:01:40 GMT", 40.0) == 60.0
    assert parse_retry_after("soon", 0.0) is None and parse_retry_after(None, 0.0) is None
