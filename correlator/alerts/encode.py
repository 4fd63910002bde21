"""Finding -> OCSF 1.8.0 Detection Finding (class 2004), as a dict and as bytes for the topic.

Pure and deterministic: every time comes from the Finding (never the wall clock) and the bytes
are key-sorted, so a replay of the same input yields byte-identical alerts.
"""

from __future__ import annotations

from datetime import UTC, datetime

import orjson

from correlator.alerts import ocsf
from correlator.alerts.attack import attack_objects
from correlator.alerts.evidence import evidences
from correlator.alerts.observables import observables
from correlator.model import Finding

PRODUCT_NAME = "correlator"
VENDOR_NAME = "correlator project"
# Alert text carries values copied from untrusted records (user agents, ticket ids, app
# names): every string is capped, so one hostile record cannot make an alert the SIEM refuses.
MAX_FIELD = 2048
MAX_DESC = 32 * 1024  # finding_info.desc: summary, timeline and evidence together
TIMELINE_HEADING = "Timeline (UTC):"
EVIDENCE_HEADING = "Evidence:"

Obj = dict[str, object]


def finding_to_ocsf(finding: Finding, *, product_version: str) -> dict[str, object]:
    alert: Obj = {
        **_classification(finding),
        **_verdict(finding),
        "time": finding.end_time,
        "start_time": finding.start_time,
        "end_time": finding.end_time,
        "message": _message(finding),
        "metadata": _metadata(finding, product_version),
        "finding_info": _finding_info(finding),
        "evidences": evidences(finding),
        "observables": observables(finding),
        "unmapped": _unmapped(finding),
    }
    # One action per line, so readers (and render_alert_text) can split them back.
    actions = [" ".join(action.split()) for action in finding.remediation]
    if any(actions):
        alert["remediation"] = {"desc": "\n".join(a for a in actions if a)}
    return _capped(alert, MAX_FIELD)  # type: ignore[return-value]


def _capped(value: object, limit: int) -> object:
    if isinstance(value, str):
        return value if len(value) <= limit else value[: limit - 1] + "\u2026"
    if isinstance(value, dict):
        return {k: _capped(v, MAX_DESC if k == "desc" else limit) for k, v in value.items()}
    if isinstance(value, list):
        return [_capped(v, limit) for v in value]
    return value


def _classification(finding: Finding) -> Obj:
    activity = ocsf.activity_id(finding)
    return {
        "activity_id": activity,
        "activity_name": ocsf.ACTIVITY_NAMES[activity],
        "category_uid": ocsf.CATEGORY_UID,
        "category_name": ocsf.CATEGORY_NAME,
        "class_uid": ocsf.CLASS_UID,
        "class_name": ocsf.CLASS_NAME,
        "type_uid": ocsf.type_uid(activity),
        "type_name": f"{ocsf.CLASS_NAME}: {ocsf.ACTIVITY_NAMES[activity]}",
    }


def _verdict(finding: Finding) -> Obj:
    status_id, status, status_detail = ocsf.status(finding)
    confidence = ocsf.confidence_id(finding.score)
    verdict: Obj = {
        "severity_id": int(finding.severity),
        "severity": ocsf.SEVERITY_NAMES[finding.severity],
        "status_id": status_id,
        "status": status,
        "is_alert": finding.activity != "close",
        "confidence_score": finding.score,
        "confidence_id": confidence,
        "confidence": ocsf.CONFIDENCE_NAMES[confidence],
        "action_id": ocsf.ACTION_OBSERVED,
        "action": "Observed",
        "disposition_id": ocsf.DISPOSITION_DETECTED,
        "disposition": "Detected",
    }
    if status_detail:
        verdict["status_detail"] = status_detail
    return verdict


def encode_alert(finding: Finding, *, product_version: str) -> bytes:
    return orjson.dumps(
        finding_to_ocsf(finding, product_version=product_version), option=orjson.OPT_SORT_KEYS
    )


def alert_key(finding: Finding) -> bytes:
    """The user, or a keyed rule's key: every version of a finding on one partition, in order."""
    return (finding.message_key or finding.user).encode("utf-8")


def _message(finding: Finding) -> str:
    severity = ocsf.SEVERITY_NAMES[finding.severity].lower()
    text = f"{finding.title}: {finding.user} (score {finding.score}, {severity})"
    return " ".join(text.split())  # message is one line, whatever the title holds


def _metadata(finding: Finding, product_version: str) -> Obj:
    return {
        "version": ocsf.OCSF_VERSION,
        "profiles": list(ocsf.PROFILES),
        "product": {"name": PRODUCT_NAME, "vendor_name": VENDOR_NAME, "version": product_version},
        # One uid per revision and activity so at-least-once redelivery dedupes, while the
        # correlation uid ties every revision of one finding together.
        "uid": f"{finding.uid}:{finding.activity}:{finding.revision}",
        "correlation_uid": finding.uid,
        "event_code": finding.rule_id,
    }


def _finding_info(finding: Finding) -> Obj:
    info: Obj = {
        "uid": finding.uid,
        "title": finding.title,
        "desc": describe(finding),
        "analytic": {
            "uid": finding.rule_id,
            "name": finding.rule_id,
            "type_id": ocsf.ANALYTIC_RULE,
            "type": "Rule",
        },
        "first_seen_time": finding.start_time,
        "last_seen_time": finding.end_time,
        "related_events_count": len(finding.timeline),
    }
    if finding.attacks:
        info["attacks"] = [a for t in finding.attacks for a in attack_objects(t)]
    if finding.timeline:
        info["related_events"] = _related_events(finding)
    # Finding carries no creation time of its own: on create it is end_time; later revisions
    # only know when they were modified.
    key = "created_time" if finding.activity == "create" else "modified_time"
    info[key] = finding.end_time
    return info


def _related_events(finding: Finding) -> list[Obj]:
    events: list[Obj] = []
    for index, entry in enumerate(finding.timeline):
        uid = entry.ref or f"{finding.uid}:timeline:{index}"
        # The source events are raw Entra/ITSM records, not OCSF: type, not type_uid.
        events.append(
            {"uid": uid, "type": entry.kind, "desc": entry.text, "created_time": entry.time}
        )
    return events


def describe(finding: Finding) -> str:
    """Summary, timeline and evidence sentences as plain text, for SIEMs that show only desc."""
    lines = [finding.summary]
    if finding.timeline:
        lines += ["", TIMELINE_HEADING]
        lines += [f"- {utc(e.time)} {e.kind}: {e.text}" for e in finding.timeline]
    if finding.evidence:
        lines += ["", EVIDENCE_HEADING]
        lines += [f"- {e.sentence}" for e in finding.evidence]
    return "\n".join(lines)


def utc(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _unmapped(finding: Finding) -> Obj:
    unmapped: Obj = {
        "revision": finding.revision,
        "baseline_mature": finding.baseline_mature,
        "families": list(finding.families),
        "change_ids": list(finding.change_ids),
    }
    if finding.superseded_by:
        unmapped["superseded_by"] = finding.superseded_by
    return unmapped
