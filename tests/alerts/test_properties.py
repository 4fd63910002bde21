"""Whatever Finding the engine builds, the alert is schema-valid OCSF and byte-deterministic."""

from __future__ import annotations

import re

import msgspec
import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from correlator.alerts import encode_alert, finding_to_ocsf, render_alert_text
from correlator.alerts.encode import MAX_DESC, MAX_FIELD
from correlator.model import Finding
from correlator.terminal import safe
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
        assert safe(_capped(item.sentence)) in text
    for entry in finding.timeline:
        assert safe(_capped(entry.text)) in text
    # The only escape sequences on the terminal are the renderer's own colours.
    assert not set(re.sub(r"\x1b\[[0-9;]*m", "", text)) & CONTROLS


CONTROLS = {chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]} - {"\n"}


def _capped(text: str) -> str:
    return text if len(text) <= MAX_FIELD else text[: MAX_FIELD - 1] + "\u2026"


@settings(max_examples=50, deadline=None)
@given(findings, st.text(min_size=1, max_size=40))
def test_control_characters_in_record_values_never_reach_the_terminal(
    finding: Finding, payload: str
) -> None:
    hostile = "\x1b[1A\x1b[2K\r\u202e" + payload
    finding = msgspec.structs.replace(finding, title=hostile, summary=hostile + "\n" + hostile)
    alert = finding_to_ocsf(finding, product_version="0.1.0")
    text = render_alert_text(alert, color=False)
    assert "\\x1b[1A" in text  # the scenario: the sequence is there, shown, not obeyed
    assert not set(text) & (CONTROLS | {"\u202e"})
    assert max(len(v) for v in _strings(alert)) <= MAX_DESC


def _strings(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []
