"""Decoding and parsing of every input format onto the canonical model.

``decode_payload`` / ``decode_lines`` split a message or file body into records;
``fast_signins`` decodes and parses a body of Graph or Azure Monitor sign-ins in one step, or
declines (``None``) so that the caller takes the generic path;
``sniff`` names a record's format; ``parse_record`` turns one record into canonical events or
raises ``InvalidRecord`` with one of the stable reasons documented in
``correlator.sources.reasons`` (``REASONS``). Vendor quirks live in this package only.

Formats (``sniff`` names): ``graph.signin``, ``graph.directory_audit``, ``graph.call_record``,
``graph.call_session``, ``graph.pstn_call``, ``graph.direct_routing_call``,
``azure_monitor.signin``, ``azure_monitor.audit``, ``log_analytics.signin``,
``log_analytics.audit``, ``helpdesk.ticket``; and, for syslog lines (``SyslogLine``, from text
bodies), ``panos.globalprotect``, ``cisco_asa.vpn``, ``fortigate.vpn``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from correlator.errors import InvalidRecord
from correlator.model import Event
from correlator.sources import sniff as formats
from correlator.sources.audit import audit_from_graph
from correlator.sources.azure_monitor import monitor_audit, monitor_signin
from correlator.sources.calls import call_record, call_session, pstn_row
from correlator.sources.cisco_asa import asa_signin
from correlator.sources.decode import decode_lines, decode_payload
from correlator.sources.fortigate import fortigate_signin
from correlator.sources.globalprotect import globalprotect_signin
from correlator.sources.graph_signin import signin_from_graph
from correlator.sources.helpdesk import helpdesk_ticket
from correlator.sources.log_analytics import la_audit, la_signin
from correlator.sources.reasons import INVALID_FIELD, REASONS
from correlator.sources.signin_bytes import fast_signins
from correlator.sources.sniff import sniff
from correlator.sources.syslog import SyslogLine
from correlator.sources.timeparse import parse_time
from correlator.sources.vpn import CISCO_ASA, FORTIGATE_SSLVPN, PANOS_GLOBALPROTECT

__all__ = [
    "REASONS",
    "SyslogLine",
    "decode_lines",
    "decode_payload",
    "fast_signins",
    "parse_record",
    "parse_time",
    "sniff",
]

_Parser = Callable[[Mapping[str, Any]], list[Event]]

_PARSERS: dict[str, _Parser] = {
    formats.GRAPH_SIGNIN: lambda r: [signin_from_graph(r)],
    formats.MONITOR_SIGNIN: lambda r: [monitor_signin(r)],
    formats.LA_SIGNIN: lambda r: [la_signin(r)],
    formats.GRAPH_AUDIT: lambda r: [audit_from_graph(r)],
    formats.MONITOR_AUDIT: lambda r: [monitor_audit(r)],
    formats.LA_AUDIT: lambda r: [la_audit(r)],
    formats.HELPDESK: lambda r: [helpdesk_ticket(r)],
    formats.GRAPH_CALL: lambda r: [*call_record(r)],
    formats.GRAPH_SESSION: lambda r: [*call_session(r)],
    formats.GRAPH_PSTN: lambda r: [*pstn_row(r, "graph-pstn")],
    formats.GRAPH_DIRECT_ROUTING: lambda r: [*pstn_row(r, "graph-direct-routing")],
    PANOS_GLOBALPROTECT: globalprotect_signin,  # type: ignore[dict-item]
    CISCO_ASA: asa_signin,  # type: ignore[dict-item]
    FORTIGATE_SSLVPN: fortigate_signin,  # type: ignore[dict-item]
}


def parse_record(record: object) -> list[Event]:
    """Canonical events of one record (a Graph page must already be split by ``decode_*``).

    Raises ``InvalidRecord`` for anything unusable and nothing else, whatever the input: an
    ``InvalidRecord`` handed over by ``decode_payload`` for an unparsable line is re-raised.
    """
    if isinstance(record, InvalidRecord):
        raise record
    try:
        return _PARSERS[sniff(record)](record)  # type: ignore[arg-type]
    except InvalidRecord:
        raise
    except Exception as exc:
        # A shape no parser anticipated (or nesting deep enough to recurse out) goes to the
        # dead-letter topic instead of stopping the stream; the exception type in the detail
        # is there so that it can be turned into a precise check.
        detail = f"unexpected shape ({type(exc).__name__}: {exc})"
        raise InvalidRecord(INVALID_FIELD, detail[:200]) from exc
