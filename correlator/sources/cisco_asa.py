"""Cisco Secure Client (AnyConnect) on ASA and FTD: syslog messages ``%ASA-<level>-<id>``.

Logins, per the ASA syslog message guide:

- 113039 ``Group <g> User <u> IP <ip> AnyConnect parent session started.``: a successful
  AnyConnect login (the session, not each tunnel reconnect);
- 716001 ``Group <g> User <u> IP <ip> WebVPN session started.``: a clientless login;
- 113005 ``AAA user authentication Rejected : reason = r : server = s : user = u : user IP = ip``
  and 113015 (the same for the local database): failed logins.

Any other message id is valid and ignored. ASA hides usernames of failed logins as ``*****``
unless ``no logging hide username`` is set; such a record has no user and is refused. The
time comes from the header: ``logging timestamp`` (with the year) or ``rfc5424``; a plain
RFC 3164 header has no year, and the record is refused rather than guessed.
"""

from __future__ import annotations

import re

from correlator.errors import InvalidRecord
from correlator.model import SignIn
from correlator.sources.reasons import INVALID_FIELD, IRRELEVANT_ACTIVITY
from correlator.sources.syslog import SyslogLine, split_header
from correlator.sources.vpn import CISCO_ASA, VpnLogin, to_signin

ASA_TAG = re.compile(r"%(?:ASA|FTD)-(\d)-(\d{6}):? ?")
_SESSION = re.compile(r"Group <([^>]*)> User <([^>]*)> IP <([^>]*)> (AnyConnect parent|WebVPN)")
_REJECTED = re.compile(
    r"AAA user authentication Rejected : reason = (.*?) : (?:server = \S+|local database) : "
    r"user = (.*?) ?: user IP = (\S+)"
)
_STARTED = frozenset({"113039", "716001"})
_FAILED = frozenset({"113005", "113015"})
_CLIENTS = {"AnyConnect parent": "AnyConnect", "WebVPN": "Clientless SSL VPN"}


def asa_signin(line: SyslogLine) -> list[SignIn]:
    header = split_header(line.text)
    tag = ASA_TAG.search(header.message[:200])
    if tag is None:
        raise InvalidRecord(INVALID_FIELD, "no %ASA-level-id tag", field="message")
    message_id, body = tag.group(2), header.message[tag.end() :]
    if message_id in _STARTED:
        login = _session(body, header.time, header.host)
    elif message_id in _FAILED:
        login = _rejected(body, header.time, header.host)
    else:
        raise InvalidRecord(IRRELEVANT_ACTIVITY, f"ASA message {message_id}")
    return [to_signin(login)]


def _session(body: str, time: int | None, host: str | None) -> VpnLogin:
    match = _SESSION.match(body)
    if match is None:
        raise InvalidRecord(INVALID_FIELD, "session message without Group/User/IP", field="message")
    return VpnLogin(
        source_format=CISCO_ASA,
        time=time,
        user=match.group(2),
        success=True,
        ip=match.group(3),
        gateway=host,
        client=_CLIENTS[match.group(4)],
    )


def _rejected(body: str, time: int | None, host: str | None) -> VpnLogin:
    match = _REJECTED.match(body)
    if match is None:
        raise InvalidRecord(INVALID_FIELD, "rejection without reason/user/user IP", field="message")
    return VpnLogin(
        source_format=CISCO_ASA,
        time=time,
        user=match.group(2),
        success=False,
        ip=match.group(3),
        gateway=host,
        client="AnyConnect",
        failure_reason=match.group(1)[:200],
    )
