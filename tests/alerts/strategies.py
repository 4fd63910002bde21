"""Hypothesis strategies for Findings: any shape the engine could hand the encoder."""

from __future__ import annotations

from hypothesis import strategies as st

from correlator.alerts.attack import TECHNIQUES
from correlator.model import (
    CREDENTIAL_KINDS,
    CredentialChange,
    Evidence,
    Finding,
    Observables,
    Severity,
    SignInView,
    TimelineEntry,
)

UID = r"[A-Za-z0-9][A-Za-z0-9._:/@+=-]{0,40}"
times = st.integers(min_value=0, max_value=4_102_444_800_000)  # up to 2100
texts = st.text(max_size=40)
names = st.text(min_size=1, max_size=30)
maybe_names = st.none() | names
ips = st.ip_addresses().map(str)
uids = st.from_regex(UID, fullmatch=True)
techniques = st.sampled_from(sorted(TECHNIQUES)) | st.from_regex(
    r"T[0-9]{4}(\.[0-9]{3})?", fullmatch=True
)

changes = st.builds(
    CredentialChange,
    id=names,
    time=times,
    user=names,
    kind=st.sampled_from(CREDENTIAL_KINDS),
    source=st.sampled_from(["audit", "ticket"]),
    actor=maybe_names,
    target_id=maybe_names,
    caller_number=maybe_names,
    privileged_target=st.booleans(),
)
signins = st.builds(
    SignInView,
    id=names,
    time=times,
    ip=st.none() | ips,
    country=maybe_names,
    city=maybe_names,
    latitude=st.none() | st.floats(),
    longitude=st.none() | st.floats(),
    asn=st.none() | st.integers(min_value=0, max_value=2**32 - 1),
    as_org=maybe_names,
    device_id=maybe_names,
    device_name=maybe_names,
    device_os=st.none() | st.sampled_from(["Windows10", "iOS 17", "Android", "MacOs"]) | texts,
    user_agent=maybe_names,
    app=maybe_names,
)
evidence = st.builds(
    Evidence,
    family=names,
    code=names,
    sentence=texts,
    weight=st.integers(0, 100),
    time=st.none() | times,
    signin_id=maybe_names,
)
timeline = st.builds(TimelineEntry, time=times, kind=names, text=texts, ref=maybe_names)
observables = st.builds(
    Observables,
    ips=st.lists(ips, max_size=3).map(tuple),
    devices=st.lists(texts, max_size=3).map(tuple),
    phone_numbers=st.lists(texts, max_size=3).map(tuple),
    user_agents=st.lists(texts, max_size=3).map(tuple),
)


def _tuples(
    strategy: st.SearchStrategy[object], max_size: int
) -> st.SearchStrategy[tuple[object, ...]]:
    return st.lists(strategy, max_size=max_size).map(tuple)


findings = st.builds(
    Finding,
    uid=uids,
    rule_id=names,
    title=texts,
    user=names,
    severity=st.sampled_from(Severity),
    score=st.integers(0, 100),
    activity=st.sampled_from(["create", "update", "close"]),
    revision=st.integers(1, 10_000),
    start_time=times,
    end_time=times,
    summary=texts,
    change_ids=_tuples(names, 3),
    changes=_tuples(changes, 3),
    signin=st.none() | signins,
    evidence=_tuples(evidence, 6),
    timeline=_tuples(timeline, 6),
    attacks=_tuples(techniques, 4),
    remediation=_tuples(texts, 3),
    observables=observables,
    baseline_mature=st.booleans(),
    families=_tuples(names, 3),
    superseded_by=st.none() | uids,
    user_id=maybe_names,
)
