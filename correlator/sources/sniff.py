"""Which format is this record? Decided from a few keys, cheapest and most common first."""

from __future__ import annotations

from collections.abc import Mapping

from correlator.errors import InvalidRecord
from correlator.sources.cisco_asa import ASA_TAG
from correlator.sources.fields import get_ci
from correlator.sources.fortigate import FORTI_KEYS
from correlator.sources.globalprotect import PANOS_CSV
from correlator.sources.reasons import NOT_AN_OBJECT, UNKNOWN_FORMAT, UNSUPPORTED_CATEGORY
from correlator.sources.syslog import SyslogLine, split_header
from correlator.sources.vpn import CISCO_ASA, FORTIGATE_SSLVPN, PANOS_GLOBALPROTECT

GRAPH_SIGNIN = "graph.signin"
GRAPH_AUDIT = "graph.directory_audit"
GRAPH_CALL = "graph.call_record"
GRAPH_SESSION = "graph.call_session"
GRAPH_PSTN = "graph.pstn_call"
GRAPH_DIRECT_ROUTING = "graph.direct_routing_call"
MONITOR_SIGNIN = "azure_monitor.signin"
MONITOR_AUDIT = "azure_monitor.audit"
LA_SIGNIN = "log_analytics.signin"
LA_AUDIT = "log_analytics.audit"
HELPDESK = "helpdesk.ticket"
VPN_FORMATS = (PANOS_GLOBALPROTECT, CISCO_ASA, FORTIGATE_SSLVPN)

HELPDESK_TYPE = "helpdesk.credential_change"

# Diagnostic-setting categories (Azure Monitor) whose records are user sign-ins.
USER_SIGNIN_CATEGORIES = frozenset({"signinlogs", "noninteractiveusersigninlogs", "adfssigninlogs"})
# Sign-ins without a user: rejected as service_principal, not as an unknown category.
WORKLOAD_SIGNIN_CATEGORIES = frozenset(
    {
        "serviceprincipalsigninlogs",
        "managedidentitysigninlogs",
        "microsoftserviceprincipalsigninlogs",
    }
)
AUDIT_CATEGORIES = frozenset({"auditlogs", "audit"})
# Log Analytics table names (the ``Type`` column) of user sign-ins and of workload sign-ins.
LA_USER_SIGNIN_TABLES = frozenset({"signinlogs", "aadnoninteractiveusersigninlogs"})
LA_WORKLOAD_SIGNIN_TABLES = frozenset(
    {"aadserviceprincipalsigninlogs", "aadmanagedidentitysigninlogs"}
)

_DIRECT_ROUTING_KEYS = ("trunkFullyQualifiedDomainName", "successfulCall", "finalSipCode")
_CALL_RECORD_TYPES = frozenset({"peerToPeer", "groupCall", "unknown", "unknownFutureValue"})


def sniff(record: object) -> str:
    """The format name of one record, or ``InvalidRecord`` (not_an_object / unknown_format /
    unsupported_category)."""
    if isinstance(record, SyslogLine):
        return sniff_syslog(record)
    if not isinstance(record, Mapping):
        raise InvalidRecord(NOT_AN_OBJECT, f"record is a {type(record).__name__}")
    graph = _sniff_graph(record)
    if graph is not None:
        return graph
    if "TimeGenerated" in record or "SourceSystem" in record:
        return _sniff_log_analytics(record)
    category = get_ci(record, "category")
    if isinstance(category, str):
        return _sniff_monitor(record, category)
    raise InvalidRecord(UNKNOWN_FORMAT, "no known keys")


def _sniff_graph(record: Mapping[str, object]) -> str | None:
    if (
        "createdDateTime" in record
        and "properties" not in record
        and ("userPrincipalName" in record or "userId" in record or "status" in record)
    ):
        return GRAPH_SIGNIN
    if "activityDisplayName" in record and "properties" not in record:
        return GRAPH_AUDIT
    kind = record.get("type")
    if not isinstance(kind, str):
        kind = None
    if kind == HELPDESK_TYPE:
        return HELPDESK
    if "startDateTime" not in record:
        return None
    if "callType" in record:
        if any(key in record for key in _DIRECT_ROUTING_KEYS):
            return GRAPH_DIRECT_ROUTING
        return GRAPH_PSTN
    if kind in _CALL_RECORD_TYPES or "organizer" in record or "organizer_v2" in record:
        return GRAPH_CALL
    if "caller" in record and "callee" in record:
        return GRAPH_SESSION
    return None


def _sniff_monitor(record: Mapping[str, object], category: str) -> str:
    lowered = category.lower()
    if lowered in USER_SIGNIN_CATEGORIES or lowered in WORKLOAD_SIGNIN_CATEGORIES:
        return MONITOR_SIGNIN
    if lowered in AUDIT_CATEGORIES:
        return MONITOR_AUDIT
    # Some pipelines copy the audit category (Policy, UserManagement...) to the top level.
    properties = record.get("properties")
    if isinstance(properties, Mapping) and "activityDisplayName" in properties:
        return MONITOR_AUDIT
    raise InvalidRecord(
        UNSUPPORTED_CATEGORY, f"category {category[:80]!r} is not consumed", field="category"
    )


def _sniff_log_analytics(record: Mapping[str, object]) -> str:
    table = record.get("Type")
    lowered = table.lower() if isinstance(table, str) else ""
    if lowered in LA_USER_SIGNIN_TABLES or lowered in LA_WORKLOAD_SIGNIN_TABLES:
        return LA_SIGNIN
    # Query columns can overwrite Type (one OTRF row says "ServicePrincipal"), so an audit
    # row is also recognised by its activity column.
    if lowered == "auditlogs" or "ActivityDisplayName" in record:
        return LA_AUDIT
    if "UserPrincipalName" in record and "ResultType" in record:
        return LA_SIGNIN
    raise InvalidRecord(
        UNSUPPORTED_CATEGORY,
        f"Log Analytics table {str(table)[:80]!r} is not consumed",
        field="Type",
    )


def sniff_syslog(line: SyslogLine) -> str:
    """The VPN format of a syslog line, from the message's own markers, whatever the header."""
    message = split_header(line.text).message
    if ASA_TAG.search(message[:200]):
        return CISCO_ASA
    if PANOS_CSV.match(message):
        return PANOS_GLOBALPROTECT
    if FORTI_KEYS.search(message):
        return FORTIGATE_SSLVPN
    raise InvalidRecord(UNKNOWN_FORMAT, "syslog line of no supported VPN format")
