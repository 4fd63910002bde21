"""Records that used to stop the stream: each becomes a dead letter (or is ignored), the job goes
on, and the good record behind them is published. Redis state, as in production."""

from __future__ import annotations

import hashlib

import orjson
from confluent_kafka import Producer

from correlator.config import Settings
from correlator.runconfig import RunSettings
from correlator.runtime.codec import decode_event
from correlator.runtime.runner import Runner
from tests.conftest import TopicFactory
from tests.runtime.harness import drive, read_topic, run_settings
from tests.runtime.test_dead_letters import graph_signin

# The 309-digit latitude: OverflowError in float() used to end the process.
HUGE_LATITUDE = (
    b'{"id":"x","createdDateTime":"2026-10-06T09:00:00Z","userPrincipalName":"a@b.example",'
    b'"status":{"errorCode":0},"location":{"geoCoordinates":{"latitude":1' + b"0" * 400 + b"}}}"
)
# Over librdkafka's default 1 MB message.max.bytes: the whole body as a dead letter was refused.
LARGE = orjson.dumps({"hello": "x" * 1_500_000})
ROUTINE_AUDIT = orjson.dumps(
    {
        "id": "g1",
        "activityDateTime": "2026-10-01T09:00:00Z",
        "activityDisplayName": "Add member to group",
        "targetResources": [{"type": "User", "userPrincipalName": "alice@northwind.test"}],
        "result": "success",
    }
)
# Twenty 60 KB fields: each one allowed, the event together over the producer's 1 MB.
WIDE = orjson.dumps(
    graph_signin("wide")
    | {k: "w" * 60_000 for k in ("userAgent", "appDisplayName", "appId", "clientAppUsed")}
    | {"deviceDetail": {k: "d" * 60_000 for k in ("deviceId", "displayName", "browser")}}
    | {"riskEventTypes_v2": ["r" * 60_000] * 13}
)
OTHER_SERVICE = orjson.dumps({"category": "MicrosoftGraphActivityLogs", "time": "2026-10-01"})
EMPTY_USER_EVENT = orjson.dumps(
    {"type": "SignIn", "id": "e1", "time": 1_790_845_200_000, "user": "", "success": True}
)


def test_hostile_records_never_stop_the_stream(
    kafka_bootstrap: str, kafka_topics: TopicFactory, redis_url: str, redis_namespace: str
) -> None:
    run = run_settings(kafka_topics, partitions=1)
    run = RunSettings(**{**run.__dict__, "state": redis_url, "group_id": redis_namespace})
    good = orjson.dumps(graph_signin("ok-after"))
    producer = Producer({"bootstrap.servers": kafka_bootstrap, "message.max.bytes": 4_000_000})
    for topic, value in [
        (run.topics.signins, HUGE_LATITUDE),
        (run.topics.signins, LARGE),
        (run.topics.signins, WIDE),
        (run.topics.audits, ROUTINE_AUDIT),
        (run.topics.audits, OTHER_SERVICE),
        (run.topics.events, EMPTY_USER_EVENT),
        (run.topics.signins, b'{"value":[]}'),
        (run.topics.signins, good),
    ]:
        producer.produce(topic, value)
    assert producer.flush(30) == 0

    runner = Runner(run, Settings(geoip_dir=None), bootstrap=kafka_bootstrap)
    try:
        normalize, correlate = runner.normalizer, runner.correlator
        assert normalize is not None and correlate is not None
        drive(
            runner,
            lambda: (
                sum(normalize.stats.consumed.values()) >= 6
                and sum(correlate.stats.consumed.values()) >= 2
            ),
        )
        ignored = dict(normalize.ignored)
        exposition = runner.metrics.exposition()[0].decode()
    finally:
        runner.close()

    dead = {
        dict(m.headers() or [])["correlator.reason"].decode(): m
        for m in read_topic(kafka_bootstrap, run.topics.dlq)
    }
    assert sorted(dead) == ["malformed_event", "malformed_json", "too_large", "unknown_format"]
    assert WIDE.startswith(dead["too_large"].value() or b"x")  # cut to fit, as LARGE below
    assert dead["malformed_json"].value() == HUGE_LATITUDE
    large = dead["unknown_format"]
    headers = dict(large.headers() or [])
    assert headers["correlator.truncated"] == b"true"
    assert int(headers["correlator.original.size"]) == len(LARGE)
    assert headers["correlator.original.sha256"].decode() == hashlib.sha256(LARGE).hexdigest()
    assert LARGE.startswith(large.value() or b"x") and len(large.value() or b"") < 1_000_000
    # Valid records of no use are counted, not dead-lettered.
    assert ignored == {"irrelevant_activity": 1, "unsupported_category": 1}
    assert 'correlator_ignored_records_total{reason="irrelevant_activity"} 1.0' in exposition
    published = read_topic(kafka_bootstrap, run.topics.events)
    events = [decode_event(m.value()) for m in published if m.value() != EMPTY_USER_EVENT]
    assert [e.id for e in events] == ["ok-after"]
