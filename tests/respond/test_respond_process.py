"""`correlator respond` as a process: SIGKILLed while a Graph call is in flight, restarted.

The ledger (Redis) holds the claim made before the call, so the restarted responder does not
call Graph a second time for that finding: it reports it as interrupted, for a person to
check, and acts on the others exactly once. The rate limit's window is in Redis too: the slot
the killed responder took still counts after the restart.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections import Counter
from pathlib import Path

import orjson

from correlator.model import Severity
from tests.conftest import TopicFactory
from tests.connectors.fake_graph import CLIENT_ID, SECRET, TENANT
from tests.connectors.tls import Tls
from tests.respond.conftest import ALICE, ALICE_ID, BOB, BOB_ID, BREAK_GLASS, USERS, alert
from tests.respond.fake_actions import ActionGraph
from tests.runtime.harness import produce, read_topic
from tests.runtime.test_process import start, wait_for


def _command(graph: ActionGraph, tls: Tls, topics: dict[str, str], group: str, redis: str,
             tmp: Path) -> list[str]:  # fmt: skip
    secret, config = tmp / "secret", tmp / "respond.yaml"
    secret.write_text(SECRET)
    config.write_text(
        "response:\n  dry_run: false\n  actions: [revoke_sessions, confirm_compromised]\n"
        f"  protected_users: [{BREAK_GLASS}]\n  rate_limit: {{max_actions: 2, per_minutes: 60}}\n"
    )
    return [
        sys.executable, "-m", "correlator", "respond", "--bootstrap-servers", topics["bootstrap"],
        "--group-id", group, "--state", redis, "--config", str(config),
        "--topic-alerts", topics["alerts"], "--topic-actions", topics["actions"],
        "--batch-size", "1", "-X", "session.timeout.ms=6000", "-X", "heartbeat.interval.ms=500",
        "--tenant-id", TENANT, "--client-id", CLIENT_ID, "--client-secret-file", str(secret),
        "--authority", graph.url, "--graph-url", graph.url, "--ca-bundle", str(tls.ca_file),
    ]  # fmt: skip


def _records(bootstrap: str, topic: str) -> dict[str, dict]:  # type: ignore[type-arg]
    records = [orjson.loads(m.value() or b"{}") for m in read_topic(bootstrap, topic, idle_s=1)]
    return {r["finding_uid"]: r for r in records}


def test_sigkill_during_an_action_never_acts_twice(
    kafka_bootstrap: str,
    kafka_topics: TopicFactory,
    redis_url: str,
    redis_namespace: str,
    tls: Tls,
    tmp_path: Path,
) -> None:
    topics = {**kafka_topics.many({"alerts": 1, "actions": 1}), "bootstrap": kafka_bootstrap}
    gate = threading.Event()
    with ActionGraph(tls, users=dict(USERS), gate=gate) as graph:
        values = [alert("f1", ALICE), alert("f2", BOB, user_id=BOB_ID),
                  alert("f3", BREAK_GLASS, severity=Severity.CRITICAL),
                  alert("f4", ALICE, user_id=ALICE_ID)]  # fmt: skip
        produce(kafka_bootstrap, [(topics["alerts"], v) for v in values])
        args = _command(graph, tls, topics, redis_namespace, redis_url, tmp_path)
        log = tmp_path / "respond.log"
        first = start(args, log)
        try:
            revoked = lambda: any("revokeSignInSessions" in c[1] for c in graph.calls)  # noqa: E731
            wait_for(revoked, 60, "the first revoke call")
            first.send_signal(signal.SIGKILL)  # the call is in flight: claimed, not completed
            first.wait(10)
        finally:
            first.kill()
            gate.set()
        second = start(args, log)
        try:
            wait_for(lambda: len(_records(kafka_bootstrap, topics["actions"])) >= 4, 90,
                     "a record for every finding")  # fmt: skip
            second.send_signal(signal.SIGTERM)
            assert second.wait(30) == 0, log.read_text()[-3000:]
        finally:
            second.kill()
    revokes = Counter(c[1] for c in graph.action_calls() if "revokeSignInSessions" in c[1])
    assert revokes == {f"/v1.0/users/{ALICE_ID}/revokeSignInSessions": 1,
                       f"/v1.0/users/{BOB_ID}/revokeSignInSessions": 1}  # fmt: skip
    records = _records(kafka_bootstrap, topics["actions"])
    assert (records["f1"]["outcome"], records["f1"]["reason"]) == ("withheld", "interrupted")
    assert records["f2"]["results"] == {"revoke_sessions": "done", "confirm_compromised": "done"}
    assert records["f3"]["reason"] == "protected_user"
    # f1's slot (taken by the killed responder) and f2's fill the window of two.
    assert (records["f4"]["outcome"], records["f4"]["reason"]) == ("withheld", "rate_limited")
    revisions = [
        orjson.loads(m.value() or b"{}") for m in read_topic(kafka_bootstrap, topics["alerts"])
    ]
    said = {a["finding_info"]["uid"]: a["unmapped"]["response"]["outcome"]
            for a in revisions if "response" in a.get("unmapped", {})}  # fmt: skip
    assert said == {"f1": "withheld", "f2": "act", "f3": "withheld", "f4": "withheld"}
