"""An ActionGraph over TLS, alerts to respond to, and GraphActions pointed at the fake."""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest

from correlator.alerts.encode import encode_alert
from correlator.model import Finding, Severity
from correlator.respond.graph_actions import GraphActions
from tests.connectors.conftest import Sleeps, client_for, tls  # noqa: F401 - the tls fixture
from tests.connectors.tls import Tls
from tests.respond.fake_actions import ActionGraph

ALICE, ALICE_ID = "alice@northwind.test", "0b6f9c1e-1111-4e6a-9d2b-5a7c3e9f0a11"
BOB, BOB_ID = "bob@northwind.test", "0b6f9c1e-2222-4e6a-9d2b-5a7c3e9f0a22"
BREAK_GLASS, BREAK_GLASS_ID = "bg-admin@northwind.test", "0b6f9c1e-3333-4e6a-9d2b-5a7c3e9f0a33"
USERS = {ALICE: ALICE_ID, BOB: BOB_ID, BREAK_GLASS: BREAK_GLASS_ID}


@pytest.fixture
def graph(tls: Tls) -> Iterator[ActionGraph]:  # noqa: F811
    with ActionGraph(tls, users=dict(USERS)) as fake:
        yield fake


def actions_for(fake: ActionGraph, ca: Tls, sleeps: Sleeps | None = None) -> GraphActions:
    return GraphActions(client_for(fake, ca, sleeps))


def alert(
    uid: str,
    user: str = ALICE,
    *,
    user_id: str | None = None,
    severity: Severity = Severity.HIGH,
    rule: str = "ato-after-credential-change",
    revision: int = 1,
    activity: str = "create",
) -> bytes:
    finding = Finding(
        uid=uid,
        rule_id=rule,
        title="Account takeover after a credential change",
        user=user,
        severity=severity,
        score=80,
        activity=activity,  # type: ignore[arg-type]
        revision=revision,
        start_time=1_790_000_000_000,
        end_time=1_790_000_300_000,
        summary="password reset by the helpdesk, then a sign-in from a new country",
        user_id=user_id,
        remediation=("Revoke the user's sessions.",),
    )
    return encode_alert(finding, product_version="test")


def decoded(value: bytes) -> dict:  # type: ignore[type-arg]
    return orjson.loads(value)  # type: ignore[no-any-return]
