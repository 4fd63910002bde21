"""Whatever Finding the engine builds, the alert is schema-valid OCSF and byte-deterministic."""

from __future__ import annotations

import msgspec
import orjson
from hypothesis import given, settings

from correlator.alerts import encode_alert, finding_to_ocsf, render_alert_text
from correlator.model import Finding
from tests.alerts.ocsf_attrs import ocsf_problems
from tests.alerts.strategies import findings
from tests.support.alert_schema import validate_alert


@settings(max_examples=300, deadline=None)
@given(findings)
def test_any_finding_encodes_to_a_valid_alert(finding: Finding) -> None:
    alert = finding_to_ocsf(finding, product_version="0.1.0")
    validate_alert(alert)
    assert ocsf_problems(alert) == []


@settings(max_examples=100, deadline=None)
@given(findings)
def test_same_finding_same_bytes(finding: Finding) -> None:
    # A copy through the state store's encoding must not change a single byte.
    copy = msgspec.msgpack.decode(msgspec.msgpack.encode(finding), type=Finding)
    wire = encode_alert(finding, product_version="0.1.0")
    assert encode_alert(copy, product_version="0.1.0") == wire
    validate_alert(orjson.loads(wire))


@settings(max_examples=100, deadline=None)
@given(findings)
def test_render_shows_every_sentence(finding: Finding) -> None:
    text = render_alert_text(finding_to_ocsf(finding, product_version="0.1.0"), color=True)
    for item in finding.evidence:
        assert item.sentence in text
    for entry in finding.timeline:
        assert entry.text in text
