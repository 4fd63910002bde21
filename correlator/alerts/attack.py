"""MITRE ATT&CK techniques the detections name, as OCSF ``attack`` objects.

A static table, because the alert must not depend on fetching ATT&CK at run time and the
detections only ever name a handful of techniques.
"""

from __future__ import annotations

import re

TACTICS: dict[str, str] = {
    "TA0043": "Reconnaissance",
    "TA0001": "Initial Access",
    "TA0003": "Persistence",
    "TA0004": "Privilege Escalation",
    "TA0005": "Defense Evasion",
    "TA0006": "Credential Access",
}

# technique id -> (technique name, sub-technique name or None, tactic ids)
TECHNIQUES: dict[str, tuple[str, str | None, tuple[str, ...]]] = {
    "T1078.004": ("Valid Accounts", "Cloud Accounts", ("TA0001", "TA0003", "TA0005", "TA0004")),
    "T1556.006": (
        "Modify Authentication Process",
        "Multi-Factor Authentication",
        ("TA0006", "TA0005", "TA0003"),
    ),
    "T1098.005": ("Account Manipulation", "Device Registration", ("TA0003", "TA0004")),
    "T1598.004": ("Phishing for Information", "Spearphishing Voice", ("TA0043",)),
    "T1566.004": ("Phishing", "Spearphishing Voice", ("TA0001",)),
    "T1621": ("Multi-Factor Authentication Request Generation", None, ("TA0006",)),
}

_TECHNIQUE_ID = re.compile(r"T\d{4}(?:\.\d{3})?")


def attack_objects(technique_id: str) -> list[dict[str, object]]:
    """OCSF ``attack`` objects for one technique id: one per tactic.

    One object per tactic because OCSF deprecated the ``tactics`` array (1.1.0) in favour of a
    single ``tactic``. An id missing from the table still maps (uid only) so a new rule never
    loses its mapping; a malformed id is a bug in rule metadata and raises.
    """
    if not _TECHNIQUE_ID.fullmatch(technique_id):
        raise ValueError(f"not a MITRE ATT&CK technique id: {technique_id!r} (want T1234[.001])")
    parent_id, _, _ = technique_id.partition(".")
    name, sub_name, tactic_ids = TECHNIQUES.get(technique_id, (None, None, ()))
    base: dict[str, object] = {"technique": _entity(parent_id, name)}
    if parent_id != technique_id:
        base["sub_technique"] = _entity(technique_id, sub_name)
    if not tactic_ids:
        return [base]
    return [{**base, "tactic": _entity(t, TACTICS[t])} for t in tactic_ids]


def _entity(uid: str, name: str | None) -> dict[str, object]:
    return {"uid": uid, "name": name} if name else {"uid": uid}
