"""The user stage turns "dialled an outside number, then consented to an app" into a signal.

Callback phishing: the caller is talked into approving an application. The user engine pairs
the outbound call with the consent whichever arrives second, and forwards one ``CalleeSignal``
with an id derived from the two events, so the keyed stage sees the same set in any order and
a re-delivery adds nothing.
"""

from __future__ import annotations

from itertools import permutations

import pytest
from msgspec.structs import replace

from correlator.config import MINUTE_MS, DetectionConfig
from correlator.engine.engine import Engine
from correlator.keyed import CalleeSignal, KeyedEvent, number_key, signal_id
from correlator.model import AppConsent, CallRecord, Event
from correlator.rules import callback_campaign
from correlator.runtime.codec import decode_keyed, encode_keyed
from tests.engine.builders import T0, USER, signin

NUMBER = "+18885550100"
CONFIG = DetectionConfig(consent_trusted_apps=("Zoom",))
DIALLED = CallRecord("o1", T0, USER, caller_number=NUMBER, direction="outbound")
CONSENT = AppConsent("k1", T0 + 20 * MINUTE_MS, USER, app="Invoice Viewer",
                     permissions=("offline_access", "Mail.Read"))  # fmt: skip


def signals(events: list[Event], config: DetectionConfig = CONFIG) -> list[CalleeSignal]:
    engine = Engine(config, rules=[callback_campaign.RULE])
    found = []
    for event in events:
        engine.process(event)
        found += [f for f in engine.take_forwards() if isinstance(f.event, CalleeSignal)]
    assert all(f.key == number_key(NUMBER) for f in found)
    return [f.event for f in found]


@pytest.mark.parametrize("order", list(permutations([DIALLED, CONSENT])), ids=["call", "consent"])
def test_found_by_whichever_arrives_second(order: tuple[Event, ...]) -> None:
    (signal,) = signals(list(order))
    assert signal.id == signal_id(DIALLED.id, CONSENT.id)
    assert (signal.kind, signal.ref, signal.call_id) == ("app_consent", "k1", "o1")
    assert (signal.user, signal.time, signal.number) == (USER, CONSENT.time, NUMBER)


def test_a_redelivered_consent_adds_nothing() -> None:
    assert len(signals([DIALLED, CONSENT, CONSENT, DIALLED])) == 1


@pytest.mark.parametrize(
    "events",
    [
        # An inbound call: consent-after-call's business, not the callback campaign's.
        [replace(DIALLED, direction="inbound"), CONSENT],
        # An internal call.
        [replace(DIALLED, external=False), CONSENT],
        # The consent came first: the call cannot have led to it.
        [replace(CONSENT, time=T0 - MINUTE_MS), DIALLED],
        # A trusted application (names match in any case).
        [DIALLED, replace(CONSENT, app="zoom")],
        # Beyond campaign_escalation_hours after the call.
        [replace(CONSENT, time=T0 + 25 * 60 * MINUTE_MS), DIALLED],
    ],
    ids=["inbound", "internal", "before", "trusted", "too-late"],
)
def test_no_signal(events: list[Event]) -> None:
    assert signals(events) == []


def test_a_user_known_only_by_a_consent_is_kept_for_the_call() -> None:
    # The consent's audit record comes first; another user's sign-in moves event time on and
    # makes the memory store sweep idle users before the call record arrives.
    other = signin("s1", 60, user="bob@northwind.test")
    (signal,) = signals([CONSENT, other, DIALLED])
    assert signal.ref == CONSENT.id


def test_the_signal_travels_the_keyed_topic() -> None:
    (signal,) = signals([DIALLED, CONSENT])
    item = KeyedEvent(number_key(NUMBER), signal)
    assert decode_keyed(encode_keyed(item)) == item
