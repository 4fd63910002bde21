"""Azure Monitor diagnostic-setting records (Event Hubs, storage blobs, Panther, Elastic).

Envelope keys are camelCase in Microsoft's exports but vary in case elsewhere (``Level`` and
``level``, Panther's ``calleripaddress``), so they are read case-insensitively. The payload is
``properties``: an object, or a JSON string in some pipelines.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from correlator.errors import InvalidRecord
from correlator.model import AppConsent, CredentialChange, SignIn
from correlator.sources.audit import audit_from_graph
from correlator.sources.fields import get_ci, obj, text
from correlator.sources.graph_signin import signin_from_graph
from correlator.sources.reasons import SERVICE_PRINCIPAL
from correlator.sources.sniff import WORKLOAD_SIGNIN_CATEGORIES

SOURCE_FORMAT = "azure-monitor"
_LEGACY_AUDIT = "audit"


def monitor_signin(record: Mapping[str, Any]) -> SignIn:
    category = str(get_ci(record, "category"))
    if category.lower() in WORKLOAD_SIGNIN_CATEGORIES:
        raise InvalidRecord(SERVICE_PRINCIPAL, f"{category} has no user", field="category")
    return signin_from_graph(
        obj(get_ci(record, "properties"), "properties"),
        source_format=SOURCE_FORMAT,
        category=category,
        fallback_time=get_ci(record, "time"),
        fallback_ip=get_ci(record, "callerIpAddress"),
        fallback_result=get_ci(record, "resultType"),
    )


def monitor_audit(record: Mapping[str, Any]) -> CredentialChange | AppConsent:
    properties = obj(get_ci(record, "properties"), "properties")
    category = str(get_ci(record, "category"))
    if category.lower() == _LEGACY_AUDIT:
        properties = _legacy_to_graph(record, properties)
    return audit_from_graph(
        properties,
        source_format=SOURCE_FORMAT,
        fallback_time=get_ci(record, "time"),
        fallback_activity=get_ci(record, "operationName"),
        fallback_ip=get_ci(record, "callerIpAddress"),
        fallback_result=get_ci(record, "resultType"),
    )


def _legacy_to_graph(record: Mapping[str, Any], p: Mapping[str, Any]) -> dict[str, Any]:
    """The 2018 preview schema (category "Audit"): flat ``__``-joined target fields."""
    target = _legacy_target(p.get("targetResourceType"), p.get("targetResourceName"))
    changes = p.get("targetUpdatedProperties")
    if isinstance(changes, list) and target is not None:
        target["modifiedProperties"] = [
            {
                "displayName": c.get("Name"),
                "oldValue": c.get("OldValue"),
                "newValue": c.get("NewValue"),
            }
            for c in changes[:64]
            if isinstance(c, Mapping)
        ]
    identity = text(get_ci(record, "identity"), "identity")
    initiator: dict[str, Any] = {}
    if identity is not None and p.get("identityType") == "UPN":
        initiator = {"user": {"userPrincipalName": identity}}
    elif identity is not None and identity != "NA":
        initiator = {"app": {"displayName": identity}}
    return {
        "correlationId": get_ci(record, "correlationId"),  # no id: audit.py derives one
        "activityDisplayName": get_ci(record, "operationName"),
        "result": get_ci(record, "resultType"),
        "initiatedBy": initiator,
        "targetResources": [target] if target is not None else [],
        "additionalDetails": p.get("additionalDetails"),
    }


def _legacy_target(kinds: object, names: object) -> dict[str, Any] | None:
    if not isinstance(kinds, str) or not isinstance(names, str):
        return None
    keys, values = kinds.split("__"), names.split("__")
    if len(keys) != len(values):
        return None  # a value containing "__" makes the split ambiguous: no target
    fields = dict(zip(keys, values, strict=True))
    return {
        "type": fields.get("ObjectClass"),
        "id": fields.get("ObjectID"),
        "userPrincipalName": fields.get("UPN"),
    }
