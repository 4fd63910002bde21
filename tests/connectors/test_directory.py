"""Directory sync: users delta and role assignments from the fake Graph, cached with a TTL in the
store, feeding the one identity the normalizer and the engine key a person by."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest
import redis

from correlator.cli import build_parser
from correlator.cli_tenant import start_directory
from correlator.config import Settings
from correlator.connectors.directory import (
    CACHE_KEY,
    GROUPS,
    ROLE_ASSIGNMENTS,
    ROLE_DEFINITIONS,
    USERS_DELTA,
    DirectoryCache,
    sync,
)
from correlator.identity import Identities
from correlator.model import event_kind
from correlator.runconfig import RunSettings
from correlator.state import open_store
from correlator.state.memory import MemoryStore
from correlator.wiring import build_engine, build_normalizer
from tests.connectors.conftest import client_for
from tests.connectors.fake_graph import CLIENT_ID, TENANT, FakeGraph
from tests.connectors.records import signin
from tests.connectors.tls import Tls

ADELE_ID = "d3a3b0c4-6f0b-4b6e-9a4e-6f6b1d2c3e4f"
ADELE = {
    "id": ADELE_ID,
    "userPrincipalName": "Adele.Vance@contoso.onmicrosoft.example",
    "mail": "adele.vance@contoso.example",
    "proxyAddresses": ["SMTP:adele.vance@contoso.example", "smtp:avance@contoso.example"],
    "employeeId": "E1042",
}
GRADY = {"id": "6e1d0f3a-0000-4000-8000-0000000000c3", "userPrincipalName": "grady@contoso.example"}
LEE = {"id": "7f2e1a4b-0000-4000-8000-0000000000d4", "userPrincipalName": "lee@contoso.example"}
ADMINS_GROUP = "9a8b7c6d-0000-4000-8000-0000000000e5"  # a role-assignable group
AUTOMATION_APP = "1b2c3d4e-0000-4000-8000-0000000000f6"  # a service principal
HELPDESK_ROLE = "729827e3-9c14-49f7-bb1b-9608f156bbb8"
READER_ROLE = "88d8e3e3-8f55-4a1e-953a-9b9898b8876b"


def _tenant(fake: FakeGraph) -> None:
    fake.deltas[USERS_DELTA] = [
        [ADELE, GRADY, LEE],
        [{"id": GRADY["id"], "@removed": {"reason": "deleted"}}, {"id": ADELE_ID, "mail": None}],
    ]
    fake.add(
        ROLE_DEFINITIONS,
        [
            {"id": HELPDESK_ROLE, "templateId": HELPDESK_ROLE, "isPrivileged": True},
            {"id": READER_ROLE, "templateId": READER_ROLE, "isPrivileged": False},
        ],
        "id",
    )
    fake.add(
        ROLE_ASSIGNMENTS,
        [
            {"id": "a1", "principalId": ADELE_ID, "roleDefinitionId": HELPDESK_ROLE},
            {"id": "a2", "principalId": GRADY["id"], "roleDefinitionId": READER_ROLE},
            {"id": "a3", "principalId": ADMINS_GROUP, "roleDefinitionId": HELPDESK_ROLE},
            {"id": "a4", "principalId": AUTOMATION_APP, "roleDefinitionId": HELPDESK_ROLE},
        ],
        "id",
        page_size=10,  # one page: `run` keeps the 5-requests-per-10-s budget
    )
    members = [{"@odata.type": "#microsoft.graph.user", "id": LEE["id"]}]
    fake.add(f"{GROUPS}/{ADMINS_GROUP}/transitiveMembers/microsoft.graph.user", members, "id")


def _ticket(target: str) -> dict[str, object]:
    return {
        "type": "helpdesk.credential_change",
        "id": "hd-7",
        "time": "2026-11-30T08:00:00Z",
        "target_user": target,
        "agent": "helpdesk.agent@contoso.example",
        "action": "password_reset",
        "ticket_id": "INC0042",
        "caller_verified": True,
        "verification_method": "employee_id",
    }


def test_object_id_only_signin_and_email_only_ticket_reach_one_user(
    fake_graph: FakeGraph, tls: Tls
) -> None:
    _tenant(fake_graph)
    identities = Identities.static({}, ())
    cache = DirectoryCache(
        MemoryStore(), identities, lambda prev: sync(client_for(fake_graph, tls), prev)
    )
    assert cache.refresh()
    settings = dataclasses.replace(Settings(geoip_dir=None), identities=identities)
    normalizer, engine = build_normalizer(settings), build_engine(settings)
    by_id = signin(1, 300)
    del by_id["userPrincipalName"]  # the sign-in names the user by object id alone
    now = 1_796_040_000_000
    events = normalizer.normalize(by_id, now) + normalizer.normalize(
        _ticket("ADELE.VANCE@contoso.example"), now
    )
    upn = "adele.vance@contoso.onmicrosoft.example"
    assert [e.user for e in events] == [upn, upn]
    assert sorted(event_kind(e) for e in events) == ["credential_change", "signin"]
    for event in sorted(events, key=lambda e: e.time):
        engine.process(event)
    state = engine.states.get(upn)
    assert len(state.recent) == 1 and len(state.changes) == 1
    assert upn in identities.privileged and "grady@contoso.example" not in identities.privileged
    assert "lee@contoso.example" in identities.privileged  # through the group
    assert identities.aliases.resolve("e1042") == upn
    assert identities.aliases.resolve("avance@contoso.example") == upn


def test_delta_sync_drops_removed_users_and_keeps_the_rest(fake_graph: FakeGraph, tls: Tls) -> None:
    _tenant(fake_graph)
    client = client_for(fake_graph, tls)
    first = sync(client)
    assert set(first.users) == {ADELE_ID, GRADY["id"], LEE["id"]} and first.delta_link is not None
    second = sync(client, first)
    assert set(second.users) == {ADELE_ID, LEE["id"]}  # Grady deleted
    assert (
        second.users[ADELE_ID]["mail"] is None and second.users[ADELE_ID]["employeeId"] == "E1042"
    )
    assert any("deltatoken=1" in p for p in fake_graph.graph_requests)


@pytest.mark.integration
def test_snapshot_is_cached_with_a_ttl_and_shared_by_replicas(
    fake_graph: FakeGraph, tls: Tls, redis_url: str, redis_namespace: str
) -> None:
    _tenant(fake_graph)
    client = client_for(fake_graph, tls)
    store = open_store(redis_url, namespace=redis_namespace)
    first = DirectoryCache(
        store, Identities.static({}, ()), lambda p: sync(client, p), ttl_ms=60_000
    )
    assert first.refresh()
    synced = len(fake_graph.graph_requests)
    assert synced >= 3
    ttl = redis.Redis.from_url(redis_url).pttl(f"{redis_namespace}:u:{CACHE_KEY}")
    assert 0 < ttl <= 60_000
    replica_ids = Identities.static({}, ())
    replica = DirectoryCache(store, replica_ids, fetch=None)
    assert replica.refresh() and len(fake_graph.graph_requests) == synced  # no Graph call
    assert replica_ids.aliases.resolve(ADELE_ID) == "adele.vance@contoso.onmicrosoft.example"
    store.write_batch({}, [CACHE_KEY])  # as if the TTL ran out: the next refresh syncs (delta)
    assert first.refresh() and any("deltatoken=1" in p for p in fake_graph.graph_requests)
    store.close()


def test_run_directory_sync_option_installs_the_live_view(
    fake_graph: FakeGraph, tls: Tls, secret_file: Path
) -> None:
    _tenant(fake_graph)
    args = build_parser().parse_args(
        [
            "run", "--directory-sync", "--tenant-id", TENANT, "--client-id", CLIENT_ID,
            "--client-secret-file", str(secret_file), "--authority", fake_graph.url,
            "--graph-url", fake_graph.url, "--ca-bundle", str(tls.ca_file),
        ]
    )  # fmt: skip
    stop = threading.Event()
    try:
        settings = start_directory(RunSettings(), Settings(geoip_dir=None), args, stop)
    finally:
        stop.set()
    assert settings.identities is not None
    assert (
        settings.identities.aliases.resolve(ADELE_ID) == "adele.vance@contoso.onmicrosoft.example"
    )
    assert fake_graph.scopes == [f"{fake_graph.url}/.default"]
