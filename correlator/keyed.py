"""The keyed stages' inputs: state keyed by something other than the user.

A call campaign is counted per caller number, a reset burst per helpdesk agent and across the
tenant. The user stage sees every event first (its state knows which numbers called a user and
what happened to the user next), so it forwards what the keyed stages need as ``KeyedEvent``s
on their own topic, keyed by that key: each keyed stage scales out by partitions as the user
stage does, and its state lives in the store under its key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Literal

import msgspec

from correlator.config import DetectionConfig
from correlator.model import CallRecord, CredentialChange

NUMBER, AGENT, TENANT = "number:", "agent:", "tenant:"
TENANT_KEY = TENANT + "all"


class CalleeSignal(msgspec.Struct, frozen=True, omit_defaults=True, tag="callee_signal"):
    """Something happened to a user after an external call: the call campaign's escalation."""

    id: str
    time: int  # when it happened to the callee (event time)
    number: str  # the caller number of the call before it
    user: str  # the callee
    call_id: str
    kind: Literal["credential_change", "anomalous_signin", "app_consent"]
    ref: str  # id of the change, sign-in or consent
    text: str  # one sentence: "password reset by agent7 40 min after the call"


KeyedInput = CallRecord | CredentialChange | CalleeSignal


class KeyedEvent(msgspec.Struct, frozen=True):
    key: str
    event: KeyedInput


def number_key(number: str) -> str:
    return NUMBER + number


def agent_key(actor: str) -> str:
    return AGENT + actor


def signal_id(call_id: str, ref: str) -> str:
    return hashlib.sha256(f"{call_id}|{ref}".encode()).hexdigest()[:24]


def event_time(event: KeyedInput) -> int:
    return event.start if isinstance(event, CallRecord) else event.time


@dataclass(frozen=True)
class KeyContext:
    """Everything a keyed rule reads about one key: its stored events, by time."""

    key: str
    calls: tuple[CallRecord, ...]
    changes: tuple[CredentialChange, ...]
    signals: tuple[CalleeSignal, ...]
    config: DetectionConfig

    @property
    def name(self) -> str:
        """The key without its kind: the phone number, the agent."""
        return self.key.split(":", 1)[1]
