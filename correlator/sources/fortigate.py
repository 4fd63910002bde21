"""Fortinet FortiGate VPN event logs: ``key=value`` pairs, values quoted when they hold spaces.

``type="event" subtype="vpn"`` records, per the FortiOS log message reference:

- ``action="tunnel-up"`` (logids 0101039424 / 0101039947 "SSL VPN tunnel up", and IPsec
  dial-up tunnels with an XAuth user): a successful login from ``remip``;
- ``action="ssl-login-fail"`` (0101039426 "SSL VPN login fail"): a failed one.

Other VPN actions (tunnel-down, statistics, new connections) are valid and ignored; other
subtypes (traffic, system...) are not consumed. Time: ``eventtime`` (ns since FortiOS 6.2, µs
or s before), else ``date`` + ``time`` with ``tz``, else the syslog header.
"""

from __future__ import annotations

import re

from correlator.errors import InvalidRecord
from correlator.model import SignIn
from correlator.sources.reasons import IRRELEVANT_ACTIVITY, UNSUPPORTED_CATEGORY
from correlator.sources.syslog import SyslogLine, split_header
from correlator.sources.timeparse import parse_time
from correlator.sources.vpn import FORTIGATE_SSLVPN, VpnLogin, to_signin

FORTI_KEYS = re.compile(r"(?:^|\s)logid=\"?\d{10}")
_PAIR = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)')
_TZ = re.compile(r"[+-]\d{4}")
_MAX_PAIRS = 256
_SUCCESS, _FAILURE = "tunnel-up", "ssl-login-fail"


def fortigate_signin(line: SyslogLine) -> list[SignIn]:
    header = split_header(line.text)
    pairs = key_values(header.message)
    if pairs.get("subtype") != "vpn":
        subtype = pairs.get("subtype", "")[:40]
        raise InvalidRecord(UNSUPPORTED_CATEGORY, f"FortiGate subtype {subtype!r} is not consumed")
    action = pairs.get("action", "")
    if action not in (_SUCCESS, _FAILURE):
        raise InvalidRecord(IRRELEVANT_ACTIVITY, f"FortiGate VPN action {action[:40]!r}")
    login = VpnLogin(
        source_format=FORTIGATE_SSLVPN,
        time=_time(pairs, header.time),
        user=_user(pairs),
        success=action == _SUCCESS,
        ip=pairs.get("remip"),
        gateway=pairs.get("devname") or pairs.get("devid") or header.host,
        client=_client(pairs.get("tunneltype", "")),
        failure_reason=pairs.get("reason"),
    )
    return [to_signin(login)]


def key_values(message: str) -> dict[str, str]:
    """The pairs of one message, unquoted; the first of a repeated key wins."""
    pairs: dict[str, str] = {}
    for count, match in enumerate(_PAIR.finditer(message)):
        if count >= _MAX_PAIRS:
            break
        value = match.group(2)
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            value = value[1:-1].replace('\\"', '"')
        pairs.setdefault(match.group(1), value)
    return pairs


def _user(pairs: dict[str, str]) -> str | None:
    """``user``, or the XAuth user of an IPsec dial-up tunnel (whose ``user`` is ``N/A``)."""
    user = pairs.get("user")
    if user and user.upper() != "N/A":
        return user
    return pairs.get("xauthuser") or user


def _client(tunnel_type: str) -> str:
    if tunnel_type.startswith("ssl-web"):
        return "FortiGate SSL-VPN web"
    if tunnel_type.startswith("ipsec"):
        return "FortiClient IPsec"
    return "FortiClient SSL-VPN"


def _time(pairs: dict[str, str], header_time: int | None) -> int | None:
    event_time = pairs.get("eventtime", "")
    if event_time.isdigit() and event_time.isascii() and 10 <= len(event_time) <= 19:
        # 19 digits: ns (FortiOS 6.2+); 16: µs; 13: ms; 10: s.
        return parse_time(int(event_time) // 10 ** max(0, len(event_time) - 13), "eventtime")
    date, clock = pairs.get("date"), pairs.get("time")
    if date and clock:
        zone = pairs.get("tz", "")
        offset = f"{zone[:3]}:{zone[3:]}" if _TZ.fullmatch(zone) else "Z"
        return parse_time(f"{date}T{clock}{offset}", "date")
    return header_time
