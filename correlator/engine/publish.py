"""Publish a rule's assessment of an incident: create once, update on real change, close the
findings an incident regrouping made redundant.

What was published is remembered per finding uid in the user's state (``Emitted``), so a
re-evaluation that changes nothing publishes nothing, and at-least-once re-delivery never
produces a second create.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from correlator.config import DetectionConfig
from correlator.context import Incident, IncidentContext, finding_uid
from correlator.engine.state import Emitted
from correlator.model import Finding
from correlator.rules.base import Assessment, KeyedFinding, Rule
from correlator.rules.finding import build_finding, fingerprint


def publish(
    rule: Rule,
    ctx: IncidentContext,
    assessment: Assessment,
    emitted: list[Emitted],
    owner: dict[str, Incident],
    config: DetectionConfig,
) -> list[Finding]:
    incident, rule_id = ctx.incident, rule.meta.id
    uid = incident.uid(rule_id)
    built = build_finding(rule, ctx, assessment, activity="create", revision=1)
    print_ = fingerprint(built)
    # This rule's open findings whose anchor now belongs to this incident: it absorbed them.
    superseded = [
        e
        for e in emitted
        if not e.closed
        and e.uid != uid
        and owner.get(e.anchor_id) is incident
        and e.uid == finding_uid(rule_id, incident.user, e.anchor_id)
    ]
    previous = next((e for e in emitted if e.uid == uid), None)
    out: list[Finding] = []
    if previous is not None and (previous.fingerprint != print_ or superseded):
        if previous.fingerprint != print_:
            previous.revision += 1
            previous.fingerprint = print_
            out.append(_version(built, "update", previous.revision))
    elif previous is None and (assessment.severity >= config.publish_min_severity or superseded):
        emitted.append(Emitted(uid, 1, print_, incident.anchor.id, incident.first_time))
        out.append(built)
    if superseded:
        out += _close(superseded, out, built)
    return out


def _version(finding: Finding, activity: str, revision: int) -> Finding:
    return msgspec.structs.replace(finding, activity=activity, revision=revision)


def _close(superseded: list[Emitted], out: list[Finding], built: Finding) -> list[Finding]:
    current = out[0] if out else _version(built, "update", 1)
    uid = built.uid
    closed: list[Finding] = []
    for old in superseded:
        old.closed, old.revision = True, old.revision + 1
        closed.append(
            msgspec.structs.replace(
                current, uid=old.uid, activity="close", revision=old.revision, superseded_by=uid
            )
        )
    return closed


def publish_anchored(
    uid: str,
    anchor: tuple[str, int],
    assessment: Assessment,
    emitted: list[Emitted],
    config: DetectionConfig,
    build: Callable[[str, int], Finding],
) -> list[Finding]:
    """A finding keyed by one event (a sign-in, a consent): created once, updated on change."""
    previous = next((e for e in emitted if e.uid == uid), None)
    if previous is None and assessment.severity < config.publish_min_severity:
        return []
    built = build("create", 1)
    print_ = fingerprint(built)
    if previous is None:
        emitted.append(Emitted(uid, 1, print_, anchor[0], anchor[1]))
        return [built]
    if previous.fingerprint == print_:
        return []
    previous.revision += 1
    previous.fingerprint = print_
    return [_version(built, "update", previous.revision)]


def publish_keyed_finding(
    rule_id: str, key: str, found: KeyedFinding, emitted: list[Emitted], config: DetectionConfig
) -> list[Finding]:
    """A keyed rule's finding: one per anchor under the key, updated when it changes.

    An earlier event arriving late can move a group's anchor: the finding published under the
    old anchor (now one of the group's members) is closed as superseded by the new one.
    """
    assessment = found.assessment
    uid = finding_uid(rule_id, key, found.anchor_id)
    built = msgspec.structs.replace(found.build(uid, "create", 1), message_key=key)
    print_ = fingerprint(built)
    previous = next((e for e in emitted if e.uid == uid), None)
    superseded = [
        e
        for e in emitted
        if not e.closed
        and e.uid != uid
        and e.anchor_id in found.members
        and e.uid == finding_uid(rule_id, key, e.anchor_id)
    ]
    out: list[Finding] = []
    if previous is None:
        if assessment.severity >= config.publish_min_severity or superseded:
            emitted.append(Emitted(uid, 1, print_, found.anchor_id, found.anchor_time))
            out.append(built)
    elif previous.fingerprint != print_:
        previous.revision += 1
        previous.fingerprint = print_
        out.append(_version(built, "update", previous.revision))
    for old in superseded:
        old.closed, old.revision = True, old.revision + 1
        closed = _version(built, "close", old.revision)
        out.append(msgspec.structs.replace(closed, uid=old.uid, superseded_by=uid))
    return out
