"""The response rate limit: one contract for the memory and the Redis window, and the Redis
window outliving the responder that filled it (a restart, or a second responder)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from correlator.respond.ledger import MemoryLedger, RedisLedger, RedisRateWindow
from correlator.respond.policy import RateLimit, RateWindow, ResponsePolicy
from correlator.respond.responder import Responder
from tests.connectors.tls import Tls
from tests.respond.conftest import ALICE, ALICE_ID, BOB, BOB_ID, actions_for, alert, decoded
from tests.respond.fake_actions import ActionGraph

MINUTE = 60_000
Make = Callable[[int, int], RateLimit]  # max_actions, per_ms -> a window


@pytest.fixture(params=["memory", "redis"])
def make(request: pytest.FixtureRequest, redis_url: str, redis_namespace: str) -> Make:
    if request.param == "memory":
        return lambda n, per: RateWindow(n, per)
    return lambda n, per: RedisRateWindow(
        redis_url, n, per, namespace=redis_namespace, dry_run=False
    )


def test_a_sliding_window(make: Make) -> None:
    rate = make(2, MINUTE)
    taken = [rate.take(f"f{i}", now) for i, now in enumerate((0, 10_000, 20_000, 60_001, 70_000))]
    # The third comes while two are inside the minute; by 60 001 the first has left it.
    assert taken == [True, True, False, True, True]


def test_a_finding_counts_once_and_a_released_slot_is_free_again(make: Make) -> None:
    rate = make(2, MINUTE)
    assert rate.take("f1", 0) and rate.take("f1", 1_000)  # a revision of the same finding
    assert rate.take("f2", 2_000) and not rate.take("f3", 3_000)
    rate.release("f2")  # another responder had claimed f2 first
    assert rate.take("f3", 4_000)


def test_responders_sharing_redis_never_take_more_than_the_limit(
    redis_url: str, redis_namespace: str
) -> None:
    windows = [RedisRateWindow(redis_url, 5, MINUTE, namespace=redis_namespace, dry_run=False)
               for _ in range(4)]  # fmt: skip
    results: list[bool] = []
    lock, start = threading.Lock(), threading.Barrier(len(windows))

    def race(index: int, window: RedisRateWindow) -> None:
        start.wait()
        for n in range(5):
            ok = window.take(f"r{index}-{n}", 1_000)
            with lock:
                results.append(ok)

    threads = [threading.Thread(target=race, args=(i, w)) for i, w in enumerate(windows)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(results) == 20 and results.count(True) == 5


def test_a_restarted_responder_keeps_the_limit(
    graph: ActionGraph, tls: Tls, redis_url: str, redis_namespace: str
) -> None:
    policy = ResponsePolicy(dry_run=False, max_actions=1, per_ms=60 * MINUTE)

    def started() -> Responder:
        """A responder as ``correlator respond --state redis://…`` builds it."""
        rate = RedisRateWindow(redis_url, 1, policy.per_ms, namespace=redis_namespace,
                               dry_run=False)  # fmt: skip
        ledger = RedisLedger(redis_url, namespace=redis_namespace)
        return Responder(policy, ledger, actions_for(graph, tls), rate=rate)

    first = decoded(started().handle(alert("f1", ALICE, user_id=ALICE_ID), now_ms=0)[0].value)
    assert first["outcome"] == "act"
    # Restarted ten minutes later: the window still holds f1's action.
    out = started().handle(alert("f2", BOB, user_id=BOB_ID), now_ms=10 * MINUTE)
    record, revision = decoded(out[0].value), decoded(out[1].value)
    assert (record["outcome"], record["reason"]) == ("withheld", "rate_limited")
    assert revision["unmapped"]["response"]["reason"] == "rate_limited"
    assert [c[1] for c in graph.action_calls() if "revoke" in c[1]] == [
        f"/v1.0/users/{ALICE_ID}/revokeSignInSessions"
    ]
    # An hour after f1's action the slot is free again.
    later = started().handle(alert("f2", BOB, user_id=BOB_ID), now_ms=61 * MINUTE)
    assert decoded(later[0].value)["outcome"] == "act"


def test_a_dry_run_counts_apart_from_acting(redis_url: str, redis_namespace: str) -> None:
    def window(dry_run: bool) -> RedisRateWindow:
        return RedisRateWindow(redis_url, 1, MINUTE, namespace=redis_namespace, dry_run=dry_run)

    assert window(True).take("f1", 0) and not window(True).take("f2", 0)
    # Switched from dry run to acting: the dry run's slots are not the real ones.
    assert window(False).take("f2", 0)


def test_a_dry_run_shows_where_the_limit_would_bite() -> None:
    responder = Responder(ResponsePolicy(max_actions=1), MemoryLedger(), None)
    records = [
        decoded(responder.handle(alert(uid), now_ms=1)[0].value) for uid in ("f1", "f1", "f2")
    ]
    assert [(r["outcome"], r.get("reason")) for r in records] == [
        ("dry_run", None),
        ("dry_run", None),  # a revision of f1: the same slot
        ("withheld", "rate_limited"),
    ]
