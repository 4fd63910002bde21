"""Poison records of every kind land in the dead-letter topic with their reason; the rest flows."""

from __future__ import annotations

import orjson
from confluent_kafka import Producer

from correlator.config import Settings
from correlator.runtime.codec import decode_event
from correlator.runtime.runner import Runner
from tests.conftest import TopicFactory
from tests.runtime.harness import drive, produce, read_topic, run_settings


def graph_signin(sid: str, when: str = "2026-10-01T09:00:00Z") -> dict[str, object]:
    return {
        "id": sid,
        "createdDateTime": when,
        "userPrincipalName": "Alice@Northwind.test",
        "userId": "0b5c7b9e-0000-4000-8000-000000000001",
        "appDisplayName": "Office 365",
        "ipAddress": "203.0.113.5",
        "clientAppUsed": "Browser",
        "isInteractive": True,
        "status": {"errorCode": 0},
        "deviceDetail": {"deviceId": "", "browser": "Edge 120"},
        "location": {"city": "London", "countryOrRegion": "GB"},
    }


TICKET = {
    "type": "helpdesk.credential_change",
    "id": "T-1",
    "time": "2026-10-01T08:55:00Z",
    "target_user": "alice@northwind.test",
    "agent": "agent7@northwind.test",
    "action": "password_reset",
    "ticket_id": "INC001",
    "caller_number": "+15550100",
    "caller_verified": True,
    "verification_method": "security_questions",
    "channel": "phone",
}

# (raw bytes, the reason the dead letter must carry)
POISON = [
    (b"{not json", "malformed_json"),
    (b'"just a string"', "not_an_object"),
    (b'{"hello": "world"}', "unknown_format"),
    (orjson.dumps({**graph_signin("p1"), "createdDateTime": None}), "missing_time"),
    (orjson.dumps({**graph_signin("p2"), "createdDateTime": "yesterday-ish"}), "invalid_time"),
    (
        orjson.dumps({**graph_signin("p3"), "createdDateTime": "2199-01-01T00:00:00Z"}),
        "invalid_time",
    ),
    (
        orjson.dumps({**graph_signin("p4"), "createdDateTime": "2030-01-01T00:00:00Z"}),
        "future_time",
    ),
    (
        orjson.dumps({**graph_signin("p5"), "userPrincipalName": None, "userId": None}),
        "missing_user",
    ),
    (orjson.dumps({**graph_signin("p6"), "status": 5}), "invalid_field"),
    (orjson.dumps({**TICKET, "id": "T-2", "action": "make_coffee"}), "invalid_field"),
]
# Another service's logs on the same event hub: valid, of no use, counted as ignored.
WORKFLOW = orjson.dumps(
    {"category": "WorkflowRuntime", "time": "2026-10-01T09:00:00Z", "resourceId": "/x"}
)


def test_poison_goes_to_the_dead_letter_topic_and_the_stream_goes_on(
    kafka_bootstrap: str, kafka_topics: TopicFactory
) -> None:
    run = run_settings(kafka_topics, partitions=2)
    good = [orjson.dumps(graph_signin(f"ok{i}", f"2026-10-01T09:0{i}:00Z")) for i in range(3)]
    # A page holding one good and one bad record: the good one still goes through.
    page = orjson.dumps({"value": [graph_signin("ok-page"), {"id": "x"}]})
    messages = (
        [(run.topics.signins, value) for value, _ in POISON]
        + [(run.topics.signins, WORKFLOW)]
        + [(run.topics.signins, v) for v in good]
        + [(run.topics.signins, page), (run.topics.tickets, orjson.dumps(TICKET))]
    )
    produce(kafka_bootstrap, messages)
    # Garbage on the events topic itself is dead-lettered by the correlate stage.
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    producer.produce(run.topics.events, b'{"type":"signin","id":1}', key=b"u")
    producer.flush(10)

    runner = Runner(run, Settings(geoip_dir=None), bootstrap=kafka_bootstrap)
    try:
        normalize, correlate = runner.normalizer, runner.correlator
        assert normalize is not None and correlate is not None
        drive(
            runner,
            lambda: (
                sum(normalize.stats.consumed.values()) >= len(messages)
                and sum(correlate.stats.consumed.values()) >= 6
            ),
        )
    finally:
        runner.close()

    dead = read_topic(kafka_bootstrap, run.topics.dlq)
    reasons = sorted(dict(m.headers() or [])["correlator.reason"].decode() for m in dead)
    expected = sorted([r for _, r in POISON] + ["unknown_format", "malformed_event"])
    assert reasons == expected
    for message in dead:
        headers = dict(message.headers() or [])
        assert headers["correlator.source.topic"].decode() in (
            run.topics.signins,
            run.topics.tickets,
            run.topics.events,
        )
        assert int(headers["correlator.source.offset"]) >= 0
        assert message.value()  # the original bytes travel with the reason
    malformed = next(m for m in dead if m.value() == b"{not json")
    assert dict(malformed.headers() or [])["correlator.reason"] == b"malformed_json"

    events = [
        decode_event(m.value())
        for m in read_topic(kafka_bootstrap, run.topics.events)
        if m.key() != b"u"
    ]
    assert sorted(e.id for e in events) == ["T-1", "ok-page", "ok0", "ok1", "ok2"]
    assert {m.key() for m in read_topic(kafka_bootstrap, run.topics.events)} >= {
        b"alice@northwind.test"
    }
    assert runner.dead_letters.by_reason["malformed_json"] == 1
    assert normalize.ignored == {"unsupported_category": 1}
