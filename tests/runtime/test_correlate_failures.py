"""The correlate stage's two failure paths for one event: dead letter with a reason, or retry.

An engine failure on an event is that event's defect (dead-lettered as ``internal_error`` with
the traceback's summary, counted, the batch goes on and is committed), and an event beyond
the lateness bound is dead-lettered as ``too_late``: nothing is dropped in silence.
"""

from __future__ import annotations

import dataclasses

from correlator.config import HOUR_MS, MINUTE_MS, Settings
from correlator.engine.facts import log_network
from correlator.model import NetworkInfo, SignIn
from correlator.runtime.codec import encode_event
from correlator.runtime.runner import Runner
from tests.conftest import TopicFactory
from tests.engine.builders import change, signin
from tests.runtime.harness import committed, drive, produce, read_topic, run_settings

POISONED_IP = "198.51.100.66"


class DefectiveEnricher:
    """Enrichment code with a bug that only one address triggers (a defect, not an outage)."""

    def network(self, signin: SignIn) -> NetworkInfo:
        if signin.ip == POISONED_IP:
            raise ZeroDivisionError("division by zero in a lookup")
        return log_network(signin)  # what the job has without GeoIP databases


def test_engine_defects_and_too_late_events_are_dead_lettered(
    kafka_bootstrap: str, kafka_topics: TopicFactory
) -> None:
    run = dataclasses.replace(run_settings(kafka_topics, partitions=1), stage="correlate")
    late_h = 30 * HOUR_MS / MINUTE_MS
    events = [
        signin("ok-1", 0),
        signin("poisoned", 1, ip=POISONED_IP),
        signin("ok-2", late_h),
        change("r-late", 2),  # 30 h behind the user's newest sign-in: beyond the 24 h bound
        signin("ok-3", late_h + 1),
    ]
    messages = [(run.topics.events, encode_event(e), e.user.encode()) for e in events]
    produce(kafka_bootstrap, messages)
    runner = Runner(run, Settings(geoip_dir=None), bootstrap=kafka_bootstrap)
    correlate = runner.correlator
    assert correlate is not None
    correlate.engine.enricher = DefectiveEnricher()
    try:
        drive(runner, lambda: correlate.stats.committed_messages >= len(events))
    finally:
        runner.close()
    assert committed(kafka_bootstrap, f"{run.group_id}.correlate", run.topics.events, 1) == 5
    assert correlate.engine.stats.events["SignIn"] == 3  # the batch went on past the defect
    dead = {
        dict(m.headers() or [])["correlator.reason"].decode(): m
        for m in read_topic(kafka_bootstrap, run.topics.dlq)
    }
    assert sorted(dead) == ["internal_error", "too_late"]
    detail = dict(dead["internal_error"].headers() or [])["correlator.detail"].decode()
    assert "ZeroDivisionError" in detail and "network <- " in detail  # where it was raised
    assert dead["too_late"].value() == messages[3][1]  # the original bytes, to replay later
    assert correlate.dead_letters.by_reason == {"internal_error": 1, "too_late": 1}
    assert correlate.engine.stats.late == 1
