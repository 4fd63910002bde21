"""VPN gateway logins in the vendors' syslog shapes: the routine ones and an attacker's.

Each office's people connect through one gateway vendor (GlobalProtect, AnyConnect on an ASA
or FortiGate, by office). Routine: a VPN user working from home logs in to the gateway from
the home address a minute or two before the Entra sign-ins that then come from the corporate
VPN egress. Attack: after a vishing password reset the caller logs in to the VPN, which
authenticates against RADIUS/LDAP, so Entra never sees that login: only the VPN log does.
Look-alike: after the same kind of reset, the real user logs in to the VPN from home.

Runs after the core scenarios (before the detection patterns), so their records are the same
with or without it.
"""

from __future__ import annotations

import calendar
import ipaddress
import time

from correlator.simulate.activity import home_network
from correlator.simulate.attacks import attacker_number
from correlator.simulate.calls import pstn_call
from correlator.simulate.catalog import iso_millis
from correlator.simulate.scenarios import agent_time, change_day, helpdesk_change, label, minutes
from correlator.simulate.tenant import User
from correlator.simulate.world import DAY_MS, World

VENDORS = ("globalprotect", "asa", "fortigate")
DESCRIPTIONS = {
    "vishing_reset_vpn_login": "The caller rings the target, then the service desk: password "
    "reset; the caller then logs in to the corporate VPN (RADIUS/LDAP, invisible to Entra) "
    "from a commercial VPN exit abroad.",
    "vpn_login_after_reset": "Helpdesk password reset after a callback; the user then logs in "
    "to the corporate VPN from home, as every workday.",
}
_PAN_SERIAL = "012801096514"


def vendor_of(w: World, user: User) -> str:
    return VENDORS[list(w.tenant.plan.sites).index(user.site.name) % len(VENDORS)]


def vpn_username(w: World, user: User) -> str:
    """How the user types their name at the gateway: NETBIOS\\sam, a UPN, or the bare sam."""
    local = user.upn.split("@", 1)[0]
    return {"globalprotect": f"CORP\\{local}", "asa": user.upn}.get(vendor_of(w, user), local)


def vpn_aliases(w: World) -> dict[str, str]:
    """Short names onto UPNs, for the config's ``aliases`` (the directory sync's job in life)."""
    return {
        user.upn.split("@", 1)[0]: user.upn
        for user in w.tenant.users
        if vendor_of(w, user) != "asa"
    }


def vpn_line(w: World, user: User, at: int, ip: str, success: bool = True) -> str:
    vendor = vendor_of(w, user)
    gateway = f"{vendor[:3]}-{user.site.name.lower()}"
    name = vpn_username(w, user)
    if vendor == "globalprotect":
        return _globalprotect(w, at, name, ip, success, gateway)
    if vendor == "asa":
        return _asa(at, name, ip, success, gateway)
    return _fortigate(at, name, ip, success, gateway)


def _globalprotect(w: World, at: int, name: str, ip: str, ok: bool, gateway: str) -> str:
    local = time.strftime("%Y/%m/%d %H:%M:%S", time.gmtime(at // 1000))
    seq = str(w.rng.randrange(10**6, 10**9))
    fields = ["1", local, _PAN_SERIAL, "GLOBALPROTECT", "0", "2561", local, "vsys1",
              "gateway-auth", "login", "LDAP", "SSL", name, "", "", ip, "", "", "", "", "",
              "6.2.1", "Windows", '"Microsoft Windows 11 Enterprise , 64-bit"', "1", "", "" if ok
              else "Authentication failed", "", "success" if ok else "failure", "", "0",
              "user-logon", "0", "GP-Portal", seq, "0x8000000000000000", iso_millis(at), "", "",
              "", "", gateway, "0", "0", "0", "0", "", "PA-3220", "1", ""]  # fmt: skip
    return f"<14>1 {iso_millis(at)} PA-3220 - - - - " + ",".join(fields)


def _asa(at: int, name: str, ip: str, ok: bool, gateway: str) -> str:
    stamp = time.strftime("%b %d %Y %H:%M:%S", time.gmtime(at // 1000))
    if ok:
        started = "AnyConnect parent session started."
        body = f"%ASA-6-113039: Group <Staff> User <{name}> IP <{ip}> {started}"
    else:
        body = (
            "%ASA-6-113005: AAA user authentication Rejected : reason = AAA failure : "
            f"server = 10.0.0.5 : user = {name} : user IP = {ip}"
        )
    return f"<166>{stamp} {gateway} : {body}"


def _fortigate(at: int, name: str, ip: str, ok: bool, gateway: str) -> str:
    day, clock = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at // 1000)).split()
    action = 'logdesc="SSL VPN tunnel up" action="tunnel-up" tunneltype="ssl-tunnel"'
    if not ok:
        action = 'logdesc="SSL VPN login fail" action="ssl-login-fail" tunneltype="ssl-web"'
    logid = "0101039947" if ok else "0101039426"
    return (
        f'<190>date={day} time={clock} devname="{gateway}" devid="FGT60F0000000001" '
        f'eventtime={at * 1_000_000} tz="+0000" logid="{logid}" type="event" subtype="vpn" '
        f'level="information" vd="root" {action} remip={ip} user="{name}" group="SSLVPN"'
    )


def routine_vpn_logins(w: World) -> None:
    """The first corporate-VPN sign-in of a VPN user's day gets its gateway login before it."""
    vpn_nets = [ipaddress.ip_network(n.cidr) for n in w.tenant.plan.corp_vpn]
    users = {u.upn: u for u in w.tenant.users if u.vpn_user}
    seen: set[tuple[str, int]] = set()
    for record in sorted(w.signins, key=lambda r: str(r["createdDateTime"])):
        user = users.get(str(record.get("userPrincipalName")))
        if user is None or not record.get("isInteractive"):
            continue
        address = ipaddress.ip_address(str(record["ipAddress"]))
        if not any(address in net for net in vpn_nets):
            continue
        at = _ms(str(record["createdDateTime"]))
        if (user.upn, at // DAY_MS) in seen:
            continue
        seen.add((user.upn, at // DAY_MS))
        login = at - minutes(w, 1, 3)
        w.vpn.append((login, vpn_line(w, user, login, home_network(user)[1])))


def vpn_after_reset(w: World) -> None:
    """The attack: a vishing reset, a failed then a successful VPN login from abroad."""
    target = _pick(w)
    if target is None:
        return  # a tenant too small: every user already plays a part
    agent = w.rng.choice(w.tenant.agents)
    at = agent_time(w, target, change_day(w))
    number = attacker_number(w)
    calls = [  # the target first (for a code, a detail), then the service desk
        w.add_call(pstn_call(w.rng, at - minutes(w, 60, 90), target, number, 240)),
        w.add_call(pstn_call(w.rng, at - minutes(w, 5, 12), agent, number, 420)),
    ]
    changes = helpdesk_change(w, target, agent, at, ["password_reset"], number, "employee_id")
    ip = w.tenant.plan.attacker_vpn.address(w.rng)
    first = at + minutes(w, 3, 8)
    w.vpn.append((first, vpn_line(w, target, first, ip, success=False)))
    login = first + minutes(w, 1, 4)
    w.vpn.append((login, vpn_line(w, target, login, ip)))
    name = "vishing_reset_vpn_login"
    rule = "ato-after-credential-change"
    label(w, "attack", name, target, at, changes, "high", DESCRIPTIONS[name], (), calls, [rule])


def vpn_lookalike(w: World) -> None:
    """The user's own reset (callback verified), then the usual VPN login from home."""
    user = _pick(w)
    if user is None:
        return
    agent = w.rng.choice(w.tenant.agents)
    at = agent_time(w, user, change_day(w))
    call = w.add_call(pstn_call(w.rng, at - minutes(w, 2, 6), agent, user.mobile, 300))
    changes = helpdesk_change(w, user, agent, at, ["password_reset"], user.mobile, "callback")
    login = at + minutes(w, 5, 20)
    w.vpn.append((login, vpn_line(w, user, login, home_network(user)[1])))
    name = "vpn_login_after_reset"
    label(w, "lookalike", name, user, at, changes, "not_high", DESCRIPTIONS[name], (), [call])


def _pick(w: World) -> User | None:
    """An unclaimed VPN user with a full history (any unclaimed user in a tiny tenant)."""
    pool = [u for u in w.tenant.users if u.upn not in w.busy and not u.helpdesk]
    settled = [u for u in pool if u.vpn_user and u.first_day == 0 and u.travel is None]
    if not pool:
        return None
    user = w.rng.choice(settled or pool)
    w.busy.add(user.upn)
    return user


def _ms(stamp: str) -> int:
    return calendar.timegm(time.strptime(stamp[:19], "%Y-%m-%dT%H:%M:%S")) * 1000
