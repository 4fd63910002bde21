"""Reading an OCSF alert for the responder, and the alert revision that says what was done.

The responder consumes the alerts topic and publishes back to it; its own revisions carry
``unmapped.response``, which is how it recognises (and skips) them.
"""

from __future__ import annotations

import copy
from typing import Any

import orjson

from correlator.errors import InvalidRecord
from correlator.respond.policy import Subject

CLOSE_ACTIVITY = 3  # OCSF Detection Finding activity_id "Close"
UPDATE_ACTIVITY = 2
_USER_NAME = "evidences[].user.name"
_USER_UID = "evidences[].user.uid"


def read_alert(value: bytes) -> dict[str, Any]:
    try:
        alert = orjson.loads(value)
    except orjson.JSONDecodeError as exc:
        raise InvalidRecord("malformed_json", "alert is not JSON") from exc
    if not isinstance(alert, dict):
        raise InvalidRecord("not_an_object", "alert is not a JSON object")
    return alert


def is_response_revision(alert: dict[str, Any]) -> bool:
    unmapped = alert.get("unmapped")
    return isinstance(unmapped, dict) and "response" in unmapped


def subject_of(alert: dict[str, Any]) -> Subject:
    info = alert.get("finding_info")
    if not isinstance(info, dict) or not isinstance(info.get("uid"), str):
        raise InvalidRecord("missing_field", "no finding_info.uid", field="finding_info.uid")
    analytic = info.get("analytic")
    if not isinstance(analytic, dict):
        analytic = {}
    severity = alert.get("severity_id")
    return Subject(
        finding_uid=info["uid"],
        rule_id=str(analytic.get("uid") or ""),
        severity=severity if isinstance(severity, int) else 0,
        user=_observable(alert, _USER_NAME),
        user_id=_observable(alert, _USER_UID),
        closed=alert.get("activity_id") == CLOSE_ACTIVITY,
    )


def _observable(alert: dict[str, Any], name: str) -> str | None:
    for item in alert.get("observables") or ():
        if isinstance(item, dict) and item.get("name") == name:
            value = item.get("value")
            if isinstance(value, str) and value:
                return value
    return None


def annotated(alert: dict[str, Any], record: dict[str, Any]) -> dict[str, Any]:
    """The alert revision saying what was done: same finding uid, a response section, the
    actions in the remediation text, and a metadata uid of its own (so SIEMs keep both)."""
    out = copy.deepcopy(alert)
    out["activity_id"], out["activity_name"] = UPDATE_ACTIVITY, "Update"
    class_uid, category = out.get("class_uid"), out.get("type_uid")
    if isinstance(class_uid, int) and isinstance(category, int):
        out["type_uid"] = class_uid * 100 + UPDATE_ACTIVITY
    metadata = out.setdefault("metadata", {})
    if isinstance(metadata, dict):
        metadata["uid"] = f"{record['finding_uid']}:response"
    unmapped = out.setdefault("unmapped", {})
    if isinstance(unmapped, dict):
        unmapped["response"] = {k: v for k, v in record.items() if k != "finding_uid"}
    remediation = out.setdefault("remediation", {})
    if isinstance(remediation, dict):
        done = _sentence(record)
        remediation["desc"] = "\n".join(x for x in (remediation.get("desc"), done) if x)
    return out


def _sentence(record: dict[str, Any]) -> str:
    outcome, actions = record["outcome"], ", ".join(record["actions"])
    if outcome == "act":
        # Name what was done and what was not, each failure with its result (a 403 asks for a
        # permission, a 404 for a look at the user), so the SOC knows what is left to do by hand.
        results: dict[str, str] = record.get("results", {})
        done = ", ".join(a for a, r in results.items() if r == "done") or "nothing"
        failed = ", ".join(f"{a} ({r})" for a, r in results.items() if r != "done")
        return f"correlator response: {done} done" + (f"; failed: {failed}." if failed else ".")
    if outcome == "dry_run":
        return f"correlator response (dry run): would have done {actions}."
    return f"correlator response withheld ({record['reason']}): {actions} not done."
