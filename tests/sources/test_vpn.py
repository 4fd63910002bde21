"""VPN gateway logs (PAN-OS GlobalProtect, Cisco ASA/FTD, FortiGate) as sign-ins.

The fixture lines follow the vendors' documented shapes (PAN-OS syslog field order, the ASA
syslog message guide, the FortiOS log message reference) with invented values.
"""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from correlator.errors import InvalidRecord
from correlator.model import SignIn
from correlator.sources import (
    REASONS,
    SyslogLine,
    decode_lines,
    decode_payload,
    parse_record,
    sniff,
)
from correlator.sources.syslog import split_header

from .fixtures import FIXTURES, outcome

VPN = FIXTURES / "vpn"

# file -> sign-ins and rejects ("!reason"), with why each reject happens.
EXPECTED = {
    "panos-globalprotect.log": {
        "signin": 4,  # 5424 + NETBIOS user, 3164 + UPN, failed gateway-auth, failed portal-auth
        "!irrelevant_activity": 2,  # successful portal-auth (its gateway-auth counts), connected
        "!unsupported_category": 1,  # a TRAFFIC log
        "!missing_user": 1,  # pre-login
    },
    "cisco-asa.log": {
        "signin": 6,  # 113039 (with, without device id; FTD; IPv6), 716001, 113005, 113015
        "!missing_user": 1,  # user = ***** (logging hide username)
        "!missing_time": 2,  # RFC 3164 header without a year; no header at all
        "!irrelevant_activity": 2,  # 722051 address assigned, 722041
    },
    "fortigate.log": {
        "signin": 5,  # tunnel-up ssl-tunnel / ssl-web / IPsec XAuth, two ssl-login-fail
        "!irrelevant_activity": 2,  # tunnel-down, IPsec phase2-up
        "!unsupported_category": 1,  # a traffic log
    },
}


def _signins(name: str) -> list[SignIn]:
    out: list[SignIn] = []
    for _, record in decode_lines((VPN / name).read_bytes()):
        try:
            out += [e for e in parse_record(record) if isinstance(e, SignIn)]
        except InvalidRecord:
            continue
    return out


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_outcome_per_file(name: str) -> None:
    assert dict(outcome(VPN / name)) == EXPECTED[name]


def test_the_table_covers_every_vpn_fixture() -> None:
    assert {p.name for p in VPN.glob("*.log")} == set(EXPECTED)


def test_globalprotect_fields() -> None:
    first, second, failed, portal = _signins("panos-globalprotect.log")
    # NETBIOS prefix dropped; the high-resolution time (with its +01:00 offset) wins.
    assert (first.user, first.upn, first.time) == ("jdoe", None, 1_796_025_601_118)
    assert (first.ip, first.gateway, first.client_app) == (
        "203.0.113.7",
        "GW-Frankfurt",
        "GlobalProtect",
    )
    assert first.device_os == "Microsoft Windows 11 Pro , 64-bit"  # quoted, holds a comma
    assert (first.device_name, first.app, first.id) == (
        "LAPTOP-JD7",
        "VPN",
        "panos:012801096514:7300301",
    )
    # RFC 3164 header (no year): Generated Time; a UPN is kept whole; the short layout's
    # gateway is the portal.
    assert (second.user, second.upn) == ("asmith@corp.example", "asmith@corp.example")
    assert (second.time, second.gateway) == (1_796_026_200_000, "GP-Portal")
    assert not failed.success and failed.failure_reason == (
        "Authentication failed: Invalid username, or password"
    )
    assert (portal.user, portal.success) == ("bwilson", False)


def test_asa_fields() -> None:
    started, no_device_id, webvpn, rejected, local, ftd = _signins("cisco-asa.log")
    assert (started.user, started.ip, started.gateway) == (
        "jdoe@corp.example",
        "198.51.100.9",
        "asa-edge-1",
    )
    assert started.time == 1_796_025_900_000 and started.success
    assert (no_device_id.user, no_device_id.gateway) == ("asmith", None)
    assert (webvpn.client_app, webvpn.time) == ("Clientless SSL VPN", 1_796_025_970_000)
    assert (rejected.success, rejected.failure_reason, rejected.ip) == (
        False,
        "AAA failure",
        "192.0.2.77",
    )
    assert (local.user, local.failure_reason) == ("admin", "Invalid password")
    assert (ftd.ip, ftd.gateway) == ("2001:db8::44", "ftd-edge-2")
    assert len({s.id for s in _signins("cisco-asa.log")}) == 6


def test_fortigate_fields() -> None:
    tunnel, web, failed, no_ip, ipsec = _signins("fortigate.log")
    # eventtime in ns wins over date/time/tz (which agree: 09:15 +0100).
    assert (tunnel.user, tunnel.ip, tunnel.time) == ("jdoe", "203.0.113.88", 1_796_026_500_123)
    assert (tunnel.gateway, tunnel.client_app) == ("FGT-HQ", "FortiClient SSL-VPN")
    assert (web.user, web.time, web.client_app) == (
        "asmith",
        1_796_026_560_000,
        "FortiGate SSL-VPN web",
    )
    assert (failed.success, failed.failure_reason) == (False, "sslvpn_login_permission_denied")
    assert no_ip.ip is None  # remip= (empty): still a failed login, without a network
    assert (ipsec.user, ipsec.client_app, ipsec.ip) == (
        "carol",
        "FortiClient IPsec",
        "203.0.113.200",
    )


@pytest.mark.parametrize(
    ("line", "time", "host", "message"),
    [
        (
            '<14>1 2026-11-30T08:00:00Z fw1 app 12 ID7 [a@1 k="v]"][b@2] msg',
            1_796_025_600_000,
            "fw1",
            "msg",
        ),
        ("<14>1 2026-11-30T08:00:00Z - - - - - \ufeffmsg", 1_796_025_600_000, None, "msg"),
        ("<166>Nov 30 08:00:00 fw1 msg here", None, "fw1", "msg here"),
        ("<166>Nov  3 2026 08:00:00 fw1 : %ASA-6-1: x", 1_793_692_800_000, "fw1", "%ASA-6-1: x"),
        ("2026-11-30T09:00:00+01:00 relay msg", 1_796_025_600_000, "relay", "msg"),
        ("<190>date=2026-11-30 time=1", None, None, "date=2026-11-30 time=1"),
        ("<166>Feb 30 2026 08:00:00 fw1 : m", None, "fw1", "m"),  # no such day: no time
    ],
)
def test_syslog_headers(line: str, time: int | None, host: str | None, message: str) -> None:
    header = split_header(line)
    assert (header.time, header.host, header.message) == (time, host, message)


def test_a_kafka_message_of_syslog_lines_decodes_line_by_line() -> None:
    body = (VPN / "cisco-asa.log").read_bytes()
    records = decode_payload(body)
    assert len(records) == 11 and all(isinstance(r, SyslogLine) for r in records)
    assert {sniff(r) for r in records} == {"cisco_asa.vpn"}
    with pytest.raises(InvalidRecord) as error:
        sniff(SyslogLine("<14>Nov 30 08:00:00 host sshd[1]: Accepted password for root"))
    assert error.value.reason == "unknown_format"


def _check(line: str) -> None:
    try:
        events = parse_record(SyslogLine(line))
    except InvalidRecord as error:
        assert error.reason in REASONS, error
    else:
        assert events and all(isinstance(e, SignIn) and e.user for e in events)


def _fixture_lines() -> list[str]:
    return [line for p in sorted(VPN.glob("*.log")) for line in p.read_text().splitlines()]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_fixture_lines()), st.data())
def test_mutated_fixture_lines(line: str, data: st.DataObject) -> None:
    # Cut, splice or overwrite a stretch of a real line with hostile text.
    start = data.draw(st.integers(0, len(line)))
    end = data.draw(st.integers(start, len(line)))
    junk = data.draw(
        st.one_of(
            st.text(max_size=30),
            st.sampled_from(['"', ",", "<", ">", "\\", "=", '=""', "*****", "\x00", "N/A", " : "]),
        )
    )
    _check(line[:start] + junk + line[end:])


@settings(max_examples=200)
@given(st.binary(max_size=300))
def test_decode_and_parse_arbitrary_syslog_bodies(tail: bytes) -> None:
    for head in (
        b"<14>1 2026-11-30T08:00:00Z h - - - - ",
        b"<166>Nov 30 2026 08:00:00 h : ",
        b"date=",
    ):
        try:
            records = decode_payload(head + tail)
        except InvalidRecord as error:
            assert error.reason in REASONS
            continue
        for record in records:
            if isinstance(record, SyslogLine):
                _check(record.text)


def test_hostile_sizes() -> None:
    huge_user = "x" * 300
    _check(
        "<166>Nov 30 2026 08:00:00 h : %ASA-6-113039: Group <g> "
        f"User <{huge_user}> IP <1.2.3.4> AnyConnect parent session started."
    )
    many_fields = "1,2026/11/30 08:00:00,1,GLOBALPROTECT" + ",x" * 5000
    _check(many_fields)
    _check("date=1 logid=0101039947 " + "k=v " * 10_000)
    outcomes = Counter(
        type(r).__name__ for _, r in decode_lines(b"<14>" + b"a" * (70 * 1024) + b"\n<14>b\n")
    )
    assert outcomes == {"InvalidRecord": 1, "SyslogLine": 1}
