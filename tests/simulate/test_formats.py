"""Every emitted record has the field names, nesting and value formats of the real sources.

The reference key sets are written out here from Microsoft's published examples (Graph beta
signIn list, beta directoryAudit, v1.0 getPstnCalls), so a renamed or missing field fails.
"""

from __future__ import annotations

import re

import orjson

from correlator.simulate import Simulation

# Graph beta signIn (auditLogs/signIns list example, plus riskEventTypes and mfaDetail, which
# the same endpoint returns).
SIGNIN_KEYS = {
    "id", "createdDateTime", "userDisplayName", "userPrincipalName", "userId", "appId",
    "appDisplayName", "ipAddress", "ipAddressFromResourceProvider", "clientAppUsed", "userAgent",
    "correlationId", "conditionalAccessStatus", "originalRequestId", "isInteractive",
    "tokenIssuerName", "tokenIssuerType", "processingTimeInMilliseconds", "riskDetail",
    "riskLevelAggregated", "riskLevelDuringSignIn", "riskState", "riskEventTypes",
    "riskEventTypes_v2", "resourceDisplayName", "resourceId", "resourceTenantId", "homeTenantId",
    "homeTenantName", "authenticationMethodsUsed", "authenticationRequirement",
    "signInIdentifier", "signInIdentifierType", "servicePrincipalName", "signInEventTypes",
    "servicePrincipalId", "federatedCredentialId", "userType", "flaggedForReview",
    "isTenantRestricted", "autonomousSystemNumber", "crossTenantAccessType",
    "servicePrincipalCredentialKeyId", "servicePrincipalCredentialThumbprint",
    "uniqueTokenIdentifier", "incomingTokenType", "authenticationProtocol",
    "resourceServicePrincipalId", "mfaDetail", "status", "deviceDetail", "location",
    "appliedConditionalAccessPolicies", "authenticationProcessingDetails",
    "networkLocationDetails", "authenticationDetails", "authenticationRequirementPolicies",
    "sessionLifetimePolicies", "privateLinkDetails",
}  # fmt: skip
STATUS_KEYS = {"errorCode", "failureReason", "additionalDetails"}
DEVICE_KEYS = {"deviceId", "displayName", "operatingSystem", "browser", "isCompliant",
               "isManaged", "trustType"}  # fmt: skip
LOCATION_KEYS = {"city", "state", "countryOrRegion", "geoCoordinates"}
COORD_KEYS = {"altitude", "latitude", "longitude"}
POLICY_KEYS = {"id", "displayName", "enforcedGrantControls", "enforcedSessionControls", "result",
               "conditionsSatisfied", "conditionsNotSatisfied", "includeRulesSatisfied",
               "excludeRulesSatisfied"}  # fmt: skip
AUTH_STEP_KEYS = {"authenticationStepDateTime", "authenticationMethod",
                  "authenticationMethodDetail", "succeeded", "authenticationStepResultDetail",
                  "authenticationStepRequirement"}  # fmt: skip
AUDIT_KEYS = {"id", "category", "correlationId", "result", "resultReason", "activityDisplayName",
              "activityDateTime", "loggedByService", "operationType", "userAgent",
              "initiatedBy", "targetResources", "additionalDetails"}  # fmt: skip
AUDIT_USER_KEYS = {"id", "displayName", "userPrincipalName", "ipAddress", "userType",
                   "homeTenantId", "homeTenantName"}  # fmt: skip
TARGET_KEYS = {"id", "displayName", "type", "userPrincipalName", "groupType",
               "modifiedProperties"}  # fmt: skip
PSTN_KEYS = {"id", "callId", "userId", "userPrincipalName", "userDisplayName", "startDateTime",
             "endDateTime", "duration", "charge", "callType", "currency", "calleeNumber",
             "usageCountryCode", "tenantCountryCode", "connectionCharge", "callerNumber",
             "destinationContext", "destinationName", "conferenceId", "licenseCapability",
             "inventoryType", "operator", "callDurationSource"}  # fmt: skip
TICKET_KEYS = {"type", "id", "time", "target_user", "agent", "action", "ticket_id",
               "caller_number", "caller_verified", "verification_method", "channel",
               "privileged_target"}  # fmt: skip

GRAPH_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$")
RFC3339_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?Z$")
E164 = re.compile(r"^\+[1-9]\d{7,14}$")
GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


def test_signin_shape(sim: Simulation) -> None:
    for rec in sim.signins:
        assert set(rec) == SIGNIN_KEYS
        assert set(rec["status"]) == STATUS_KEYS
        assert set(rec["deviceDetail"]) == DEVICE_KEYS
        assert set(rec["location"]) == LOCATION_KEYS
        assert set(rec["location"]["geoCoordinates"]) == COORD_KEYS
        assert all(set(p) == POLICY_KEYS for p in rec["appliedConditionalAccessPolicies"])
        assert all(set(s) == AUTH_STEP_KEYS for s in rec["authenticationDetails"])
        assert GRAPH_TIME.match(rec["createdDateTime"])
        assert GUID.match(rec["userId"]) and GUID.match(rec["correlationId"])
        assert rec["signInEventTypes"] == [
            "interactiveUser" if rec["isInteractive"] else "nonInteractiveUser"
        ]


def test_signin_values_are_consistent(sim: Simulation) -> None:
    for rec in sim.signins:
        success = rec["status"]["errorCode"] == 0
        assert rec["conditionalAccessStatus"] == ("success" if success else "failure")
        assert rec["originalRequestId"] == rec["id"]
        assert rec["userPrincipalName"].endswith("@northwind.example")
        if not rec["isInteractive"]:
            assert rec["authenticationDetails"] == []


def test_signins_are_realistic_in_size(sim: Simulation) -> None:
    sizes = [len(orjson.dumps(rec)) for rec in sim.signins]
    assert 2000 <= sum(sizes) / len(sizes) <= 6000


def test_signins_include_ipv6_failures_and_noninteractive(sim: Simulation) -> None:
    assert any(":" in rec["ipAddress"] for rec in sim.signins)
    assert any(rec["status"]["errorCode"] == 50126 for rec in sim.signins)
    interactive = sum(rec["isInteractive"] for rec in sim.signins)
    assert 0 < interactive < len(sim.signins) - interactive


def test_audit_shape(sim: Simulation) -> None:
    services = {"Core Directory", "Authentication Methods", "Self-service Password Management"}
    for rec in sim.audits:
        assert set(rec) == AUDIT_KEYS
        consent = rec["activityDisplayName"] == "Consent to application"
        category = "ApplicationManagement" if consent else "UserManagement"
        assert rec["category"] == category and rec["result"] == "success"
        assert rec["loggedByService"] in services
        assert rec["initiatedBy"]["app"] is None
        assert set(rec["initiatedBy"]["user"]) == AUDIT_USER_KEYS
        assert all(set(t) == TARGET_KEYS for t in rec["targetResources"])
        assert GRAPH_TIME.match(rec["activityDateTime"])
        assert rec["id"].split("_")[1] == rec["correlationId"]


def test_admin_reset_logs_two_records(sim: Simulation) -> None:
    core = [a for a in sim.audits if a["activityDisplayName"] == "Reset user password"]
    sspr = {a["correlationId"] for a in sim.audits if a["activityDisplayName"] ==
            "Reset password (by admin)"}  # fmt: skip
    assert core and all(a["correlationId"] in sspr for a in core)


def test_mfa_wipe_empties_strong_authentication_method(sim: Simulation) -> None:
    updates = [
        prop
        for a in sim.audits
        if a["activityDisplayName"] == "Update user"
        for prop in a["targetResources"][0]["modifiedProperties"]
        if prop["displayName"] == "StrongAuthenticationMethod"
    ]
    assert updates and all(p["newValue"] == "[]" for p in updates)


def test_ticket_shape(sim: Simulation) -> None:
    actions = {"password_reset", "mfa_reset", "mfa_method_added", "mfa_method_removed",
               "temporary_access_pass", "phone_changed"}  # fmt: skip
    methods = {"callback", "manager_approval", "employee_id", "security_questions", "video",
               "none"}  # fmt: skip
    for rec in sim.tickets:
        assert set(rec) == TICKET_KEYS
        assert rec["type"] == "helpdesk.credential_change"
        assert rec["action"] in actions and rec["verification_method"] in methods
        assert rec["channel"] in {"phone", "chat", "walk_in", "portal", "email"}
        assert RFC3339_Z.match(rec["time"]) and E164.match(rec["caller_number"])


def test_call_shape(sim: Simulation) -> None:
    for rec in sim.calls:
        assert set(rec) == PSTN_KEYS
        assert rec["callType"] in ("user_in", "user_out")  # callback phishing dials out
        assert E164.match(rec["callerNumber"]) and E164.match(rec["calleeNumber"])
        assert GRAPH_TIME.match(rec["startDateTime"]) and GRAPH_TIME.match(rec["endDateTime"])
