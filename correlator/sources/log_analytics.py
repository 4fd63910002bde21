"""Log Analytics exports (``SigninLogs``, ``AADNonInteractiveUserSignInLogs``, ``AuditLogs``).

Columns are PascalCase and nested values (``Status``, ``DeviceDetail``, ``InitiatedBy``,
``TargetResources``...) are JSON strings; renaming the columns gives the Graph shape, whose
getters already decode JSON strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from correlator.errors import InvalidRecord
from correlator.model import AppConsent, CredentialChange, SignIn
from correlator.sources.audit import audit_from_graph
from correlator.sources.fields import text
from correlator.sources.graph_signin import signin_from_graph
from correlator.sources.reasons import SERVICE_PRINCIPAL
from correlator.sources.sniff import LA_WORKLOAD_SIGNIN_TABLES

SOURCE_FORMAT = "log-analytics"

_SIGNIN_COLUMNS = {
    "Id": "id",
    "CreatedDateTime": "createdDateTime",
    "UserPrincipalName": "userPrincipalName",
    "UserId": "userId",
    "IPAddress": "ipAddress",
    "Status": "status",
    "DeviceDetail": "deviceDetail",
    "LocationDetails": "location",
    "AppDisplayName": "appDisplayName",
    "AppId": "appId",
    "ClientAppUsed": "clientAppUsed",
    "IsInteractive": "isInteractive",
    "AuthenticationRequirement": "authenticationRequirement",
    "MfaDetail": "mfaDetail",
    "AuthenticationDetails": "authenticationDetails",
    "RiskLevelDuringSignIn": "riskLevelDuringSignIn",
    "RiskState": "riskState",
    "RiskEventTypes_V2": "riskEventTypes_v2",
    "RiskEventTypes": "riskEventTypes",
    "UserAgent": "userAgent",
    "AutonomousSystemNumber": "autonomousSystemNumber",
    "UniqueTokenIdentifier": "uniqueTokenIdentifier",
    "CorrelationId": "correlationId",
}
_AUDIT_COLUMNS = {
    "Id": "id",
    "ActivityDateTime": "activityDateTime",
    "ActivityDisplayName": "activityDisplayName",
    "InitiatedBy": "initiatedBy",
    "TargetResources": "targetResources",
    "AdditionalDetails": "additionalDetails",
    "Result": "result",
    "ResultReason": "resultReason",
    "LoggedByService": "loggedByService",
    "CorrelationId": "correlationId",
}


def _rename(row: Mapping[str, Any], columns: Mapping[str, str]) -> dict[str, Any]:
    return {new: row[old] for old, new in columns.items() if old in row}


def la_signin(row: Mapping[str, Any]) -> SignIn:
    table = text(row.get("Type"), "Type") or ""
    if table.lower() in LA_WORKLOAD_SIGNIN_TABLES:
        raise InvalidRecord(SERVICE_PRINCIPAL, f"{table} has no user", field="Type")
    category = text(row.get("Category"), "Category")
    return signin_from_graph(
        _rename(row, _SIGNIN_COLUMNS),
        source_format=SOURCE_FORMAT,
        category=category,
        fallback_time=row.get("TimeGenerated"),
        fallback_result=row.get("ResultType"),
    )


def la_audit(row: Mapping[str, Any]) -> CredentialChange | AppConsent:
    return audit_from_graph(
        _rename(row, _AUDIT_COLUMNS),
        source_format=SOURCE_FORMAT,
        fallback_time=row.get("TimeGenerated"),
        fallback_activity=row.get("OperationName"),
    )
