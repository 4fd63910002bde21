"""VPN syslog on vpn.auth through the normalize stage: sign-ins out, a bad line dead-lettered
with its own bytes (the line, not JSON), its neighbours in the same message unharmed."""

from __future__ import annotations

from correlator.config import Settings
from correlator.model import SignIn
from correlator.runtime.codec import decode_event
from correlator.runtime.runner import Runner
from tests.conftest import TopicFactory
from tests.runtime.harness import drive, produce, read_topic, run_settings

ASA_OK = (
    b"<166>Nov 30 2025 08:05:00 asa-edge-1 : %ASA-6-113039: Group <Staff> "
    b"User <alice@northwind.test> IP <198.51.100.9> AnyConnect parent session started."
)
ASA_HIDDEN = (
    b"<166>Nov 30 2025 08:06:00 asa-edge-1 : %ASA-6-113005: AAA user authentication Rejected : "
    b"reason = AAA failure : server = 10.0.0.5 : user = ***** : user IP = 192.0.2.79"
)
FORTI = (
    b'<190>date=2025-11-30 time=08:07:00 devname="FGT-HQ" devid="FGT60F0000000001" '
    b'eventtime=1764490020000000000 tz="+0000" logid="0101039947" type="event" subtype="vpn" '
    b'action="tunnel-up" tunneltype="ssl-tunnel" remip=203.0.113.88 user="CORP\\bob"'
)


def test_vpn_lines_become_signins_and_a_bad_line_is_dead_lettered_alone(
    kafka_bootstrap: str, kafka_topics: TopicFactory
) -> None:
    run = run_settings(kafka_topics, partitions=1, stage="normalize")
    produce(
        kafka_bootstrap, [(run.topics.vpn, ASA_OK + b"\n" + ASA_HIDDEN), (run.topics.vpn, FORTI)]
    )
    runner = Runner(run, Settings(geoip_dir=None), bootstrap=kafka_bootstrap)
    try:
        normalize = runner.normalizer
        assert normalize is not None
        drive(runner, lambda: normalize.stats.committed_messages >= 2)
    finally:
        runner.close()
    events = [
        decode_event(m.value() or b"") for m in read_topic(kafka_bootstrap, run.topics.events)
    ]
    assert all(isinstance(e, SignIn) and e.app == "VPN" for e in events)
    assert sorted((e.user, e.gateway) for e in events) == [  # type: ignore[union-attr]
        ("alice@northwind.test", "asa-edge-1"),
        ("bob", "FGT-HQ"),
    ]
    (dead,) = read_topic(kafka_bootstrap, run.topics.dlq)
    headers = dict(dead.headers() or [])
    assert headers["correlator.reason"] == b"missing_user"
    assert dead.value() == ASA_HIDDEN  # the line as the gateway sent it
