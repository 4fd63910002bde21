"""OCSF 1.8.0 Detection Finding constants: ids and their captions, and how a Finding picks them."""

from __future__ import annotations

from typing import Final

from correlator.model import Finding, Severity

OCSF_VERSION: Final = "1.8.0"
CATEGORY_UID: Final = 2
CATEGORY_NAME: Final = "Findings"
CLASS_UID: Final = 2004
CLASS_NAME: Final = "Detection Finding"
# confidence_*, is_alert, action_* and disposition_* belong to this profile: declare it.
PROFILES: Final = ("security_control",)

ACTIVITY_IDS: Final[dict[str, int]] = {"create": 1, "update": 2, "close": 3}
ACTIVITY_NAMES: Final[dict[int, str]] = {1: "Create", 2: "Update", 3: "Close"}

SEVERITY_NAMES: Final[dict[int, str]] = {
    Severity.INFORMATIONAL: "Informational",
    Severity.LOW: "Low",
    Severity.MEDIUM: "Medium",
    Severity.HIGH: "High",
    Severity.CRITICAL: "Critical",
}

STATUS_NEW: Final = 1
STATUS_ARCHIVED: Final = 5
STATUS_OTHER: Final = 99
STATUS_NAMES: Final[dict[int, str]] = {1: "New", 5: "Archived"}
# OCSF has no "superseded"; Suppressed means "reviewed and benign", which would mislead an
# analyst, so a merged finding uses Other with the source-specific caption OCSF asks for.
STATUS_SUPERSEDED: Final = "Superseded"

CONFIDENCE_NAMES: Final[dict[int, str]] = {1: "Low", 2: "Medium", 3: "High"}
# Lower bounds of confidence_score for confidence_id 2 and 3.
CONFIDENCE_MEDIUM_FROM: Final = 40
CONFIDENCE_HIGH_FROM: Final = 70

ACTION_OBSERVED: Final = 3  # the correlator only watches; it never blocks or changes anything
DISPOSITION_DETECTED: Final = 15
ANALYTIC_RULE: Final = 1


def type_uid(activity_id: int) -> int:
    return CLASS_UID * 100 + activity_id


def activity_id(finding: Finding) -> int:
    return ACTIVITY_IDS[finding.activity]


def confidence_id(score: int) -> int:
    if score >= CONFIDENCE_HIGH_FROM:
        return 3
    return 2 if score >= CONFIDENCE_MEDIUM_FROM else 1


def status(finding: Finding) -> tuple[int, str, str | None]:
    """(status_id, status caption, status_detail) for the finding's activity."""
    if finding.activity != "close":
        return STATUS_NEW, STATUS_NAMES[STATUS_NEW], None
    if finding.superseded_by:
        return STATUS_OTHER, STATUS_SUPERSEDED, f"superseded by finding {finding.superseded_by}"
    return STATUS_ARCHIVED, STATUS_NAMES[STATUS_ARCHIVED], None
