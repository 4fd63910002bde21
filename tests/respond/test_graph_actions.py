"""Response actions against the fake Graph server: the response test matrix.

Request shapes of each action; 403, 404 and 429 handling; dry-run sends nothing; the protected
list; one action per finding uid across re-deliveries (memory and Redis ledgers); the alert
revision that says what was done.
"""

from __future__ import annotations

import dataclasses

import pytest

from correlator.model import Severity
from correlator.respond.ledger import MemoryLedger, RedisLedger
from correlator.respond.policy import ResponsePolicy
from correlator.respond.responder import Responder
from correlator.respond.stage import ResponseMetrics
from tests.connectors.conftest import Sleeps
from tests.connectors.tls import Tls
from tests.respond.conftest import (
    ALICE,
    ALICE_ID,
    BOB,
    BOB_ID,
    BREAK_GLASS,
    actions_for,
    alert,
    decoded,
)
from tests.respond.fake_actions import ActionGraph

ALL = ("revoke_sessions", "confirm_compromised", "disable_account")
ACT = ResponsePolicy(dry_run=False, actions=ALL, protected_users=frozenset({BREAK_GLASS}))


def responder(
    graph: ActionGraph, tls: Tls, policy: ResponsePolicy = ACT, **kw: object
) -> Responder:
    return Responder(policy, kw.pop("ledger", MemoryLedger()), actions_for(graph, tls, **kw))  # type: ignore[arg-type]


def test_each_action_sends_graphs_request_shape(graph: ActionGraph, tls: Tls) -> None:
    out = responder(graph, tls).handle(alert("f1", ALICE), now_ms=1)
    assert graph.action_calls() == [
        ("POST", f"/v1.0/users/{ALICE_ID}/revokeSignInSessions", None),
        ("POST", "/v1.0/identityProtection/riskyUsers/confirmCompromised", {"userIds": [ALICE_ID]}),
        ("PATCH", f"/v1.0/users/{ALICE_ID}", {"accountEnabled": False}),
    ]
    # confirmCompromised takes object ids: the UPN of the alert was resolved first.
    assert graph.calls[0][:2] == ("GET", f"/v1.0/users/{ALICE}?%24select=id")
    record = decoded(out[0].value)
    assert record["outcome"] == "act" and record["results"] == dict.fromkeys(ALL, "done")
    assert (out[0].kind, out[0].key, out[1].kind) == ("action", ALICE.encode(), "alert")


def test_an_object_id_in_the_alert_is_used_as_it_is(graph: ActionGraph, tls: Tls) -> None:
    responder(graph, tls).handle(alert("f1", BOB, user_id=BOB_ID), now_ms=1)
    assert [c[0] for c in graph.calls] == ["POST", "POST", "PATCH"]  # no lookup


def test_forbidden_and_not_found_are_results_not_crashes(graph: ActionGraph, tls: Tls) -> None:
    graph.deny.add("confirmCompromised")  # IdentityRiskyUser.ReadWrite.All not granted
    out = responder(graph, tls).handle(alert("f1", ALICE), now_ms=1)
    results = decoded(out[0].value)["results"]
    assert results == {"revoke_sessions": "done", "confirm_compromised": "forbidden",
                       "disable_account": "done"}  # fmt: skip
    said = decoded(out[1].value)["remediation"]["desc"].splitlines()[-1]
    assert said == ("correlator response: revoke_sessions, disable_account done; "
                    "failed: confirm_compromised (forbidden).")  # fmt: skip
    out = responder(graph, tls).handle(alert("f2", "gone@northwind.test"), now_ms=1)
    assert decoded(out[0].value)["results"] == dict.fromkeys(ALL, "not_found")
    said = decoded(out[1].value)["remediation"]["desc"].splitlines()[-1]
    assert said.startswith("correlator response: nothing done; failed: revoke_sessions (not_found)")


def test_throttling_waits_for_retry_after_then_acts(graph: ActionGraph, tls: Tls) -> None:
    graph.throttle["revokeSignInSessions"] = 2
    sleeps = Sleeps()
    out = responder(graph, tls, sleeps=sleeps).handle(alert("f1", ALICE), now_ms=1)
    assert decoded(out[0].value)["results"]["revoke_sessions"] == "done"
    revokes = [c for c in graph.calls if c[1].endswith("revokeSignInSessions")]
    assert len(revokes) == 3 and len(sleeps.pauses) == 2
    assert all(p >= 2 for p in sleeps.pauses)  # Retry-After: 2 honoured


def test_throttled_beyond_the_retries_is_reported_unavailable(graph: ActionGraph, tls: Tls) -> None:
    graph.throttle["revokeSignInSessions"] = 100
    out = responder(graph, tls).handle(alert("f1", ALICE), now_ms=1)
    assert decoded(out[0].value)["results"]["revoke_sessions"] == "unavailable"


@pytest.mark.parametrize(
    ("status", "body", "result"),
    [
        (401, {"error": {"code": "InvalidAuthenticationToken"}}, "forbidden"),
        (500, {"error": {"code": "generalException"}}, "unavailable"),
        (503, None, "unavailable"),
        (400, {"error": {"code": "BadRequest"}}, "failed"),
        (409, {"error": {"code": "Conflict"}}, "failed"),
    ],
)
def test_other_answers_are_named_results(
    graph: ActionGraph, tls: Tls, status: int, body: object, result: str
) -> None:
    graph.fail["revokeSignInSessions"] = (status, body)
    out = responder(graph, tls, sleeps=Sleeps()).handle(alert("f1", ALICE), now_ms=1)
    results = decoded(out[0].value)["results"]
    assert results == {"revoke_sessions": result, "confirm_compromised": "done",
                       "disable_account": "done"}  # fmt: skip


def test_a_revoke_graph_answers_false_is_failed(graph: ActionGraph, tls: Tls) -> None:
    graph.revoke_answer = False
    out = responder(graph, tls).handle(alert("f1", ALICE), now_ms=1)
    assert decoded(out[0].value)["results"]["revoke_sessions"] == "failed"


def test_dry_run_sends_nothing(graph: ActionGraph, tls: Tls) -> None:
    policy = dataclasses.replace(ACT, dry_run=True)
    out = responder(graph, tls, policy).handle(alert("f1", ALICE), now_ms=1)
    record, revision = decoded(out[0].value), decoded(out[1].value)
    assert record["outcome"] == "dry_run" and "results" not in record
    assert "would have done revoke_sessions" in revision["remediation"]["desc"]
    assert graph.calls == []  # not even a user lookup or a token


def test_protected_users_are_never_touched(graph: ActionGraph, tls: Tls) -> None:
    out = responder(graph, tls).handle(alert("f1", BREAK_GLASS, severity=Severity.CRITICAL), 1)
    record = decoded(out[0].value)
    assert (record["outcome"], record["reason"]) == ("withheld", "protected_user")
    assert decoded(out[1].value)["unmapped"]["response"]["reason"] == "protected_user"
    assert graph.calls == []


def test_low_severity_and_other_rules_are_withheld_quietly(graph: ActionGraph, tls: Tls) -> None:
    r = responder(graph, tls)
    for value in (alert("f1", severity=Severity.MEDIUM), alert("f2", rule="call-campaign")):
        (only,) = r.handle(value, 1)  # the record, and no alert revision
        assert decoded(only.value)["outcome"] == "withheld"
    assert graph.calls == []


@pytest.mark.parametrize("store", ["memory", "redis"])
def test_one_action_per_finding_across_revisions_and_redeliveries(
    graph: ActionGraph, tls: Tls, store: str, redis_url: str, redis_namespace: str
) -> None:
    make = (lambda: MemoryLedger()) if store == "memory" else (
        lambda: RedisLedger(redis_url, namespace=redis_namespace))  # fmt: skip
    ledger = make()
    first = responder(graph, tls, ledger=ledger)
    first.handle(alert("f1", ALICE), 1)
    # The same revision again, a later revision, and a responder restarted on the same store.
    again = first.handle(alert("f1", ALICE), 2)
    later = responder(graph, tls, ledger=make() if store == "redis" else ledger)
    update = later.handle(alert("f1", ALICE, revision=2, activity="update"), 3)
    assert len([c for c in graph.action_calls() if "revokeSignInSessions" in c[1]]) == 1
    for out in (again, update):
        record = decoded(out[0].value)
        assert (record["outcome"], record["reason"]) == ("withheld", "already_acted")


def test_own_revisions_are_not_acted_on_again(graph: ActionGraph, tls: Tls) -> None:
    r = responder(graph, tls)
    revision = r.handle(alert("f1", ALICE), 1)[1].value
    assert r.handle(revision, 2) == []
    assert decoded(revision)["metadata"]["uid"] == "f1:response"
    assert decoded(revision)["finding_info"]["uid"] == "f1"


def test_every_decision_and_action_result_is_counted(graph: ActionGraph, tls: Tls) -> None:
    metrics = ResponseMetrics()
    graph.deny.add("confirmCompromised")
    r = Responder(ACT, MemoryLedger(), actions_for(graph, tls), count=metrics.count)
    for value in (alert("f1"), alert("f1"), alert("f2", BREAK_GLASS)):
        r.handle(value, 1)

    def sample(name: str, **labels: str) -> float | None:
        return metrics.registry.get_sample_value(name, labels)

    decisions = "correlator_response_decisions_total"
    assert sample(decisions, outcome="act", reason="") == 1
    assert sample(decisions, outcome="withheld", reason="already_acted") == 1
    assert sample(decisions, outcome="withheld", reason="protected_user") == 1
    actions = "correlator_response_actions_total"
    assert sample(actions, action="revoke_sessions", result="done") == 1
    assert sample(actions, action="confirm_compromised", result="forbidden") == 1
