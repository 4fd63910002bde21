"""OCSF ``evidences`` and ``observables`` for a Finding.

Evidence artifacts, in order: the sign-in the finding leans on (endpoint, device, user agent),
one per credential change (actor and target), one per piece of evidence (its sentence in
``data``), then one per observable that none of those already carries, so that every
observable's ``name`` points at a value really present in the alert.
"""

from __future__ import annotations

import msgspec

from correlator.alerts.devices import device_object
from correlator.model import CredentialChange, Evidence, Finding, SignInView

Obj = dict[str, object]

AZURE_AD_ACCOUNT = 6
USER_TYPE_ADMIN = 2


def user_object(finding: Finding) -> Obj:
    account: Obj = {"name": finding.user, "type_id": AZURE_AD_ACCOUNT, "type": "Azure AD Account"}
    user: Obj = {"name": finding.user, "account": account}
    if finding.user_id:
        user["uid"] = account["uid"] = finding.user_id
    if any(change.privileged_target for change in finding.changes):
        user |= {"type_id": USER_TYPE_ADMIN, "type": "Admin"}
    return user


def evidences(finding: Finding) -> list[Obj]:
    user = user_object(finding)
    out: list[Obj] = []
    if finding.signin is not None:
        out.append(_signin_artifact(finding.signin, user))
    out.extend(_change_artifact(change, user) for change in finding.changes)
    out.extend(_evidence_artifact(item, user) for item in finding.evidence)
    out.extend(_leftover_artifacts(finding, user))
    return out


def _signin_artifact(view: SignInView, user: Obj) -> Obj:
    # Only what has no OCSF home on the artifact itself goes to data.
    data: Obj = {"time": view.time, "success": view.success}
    if view.app:
        data["app"] = view.app
    artifact: Obj = {"name": "signin", "uid": view.id, "user": user, "data": data}
    endpoint = _src_endpoint(view)
    if endpoint:
        artifact["src_endpoint"] = endpoint
    device = device_object(view.device_id, view.device_name, view.device_os)
    if device:
        artifact["device"] = device
    if view.user_agent:
        artifact["http_request"] = {"user_agent": view.user_agent}
    return artifact


def _src_endpoint(view: SignInView) -> Obj | None:
    # OCSF wants at least an ip, name or uid on an endpoint; a location alone has no home here.
    if not view.ip:
        return None
    endpoint: Obj = {"ip": view.ip}
    location = _location(view)
    if location:
        endpoint["location"] = location
    asys: Obj = {"number": view.asn} if view.asn is not None else {}
    if view.as_org:
        asys["name"] = view.as_org
    if asys:
        endpoint["autonomous_system"] = asys
    return endpoint


def _location(view: SignInView) -> Obj | None:
    # OCSF requires a city, country, postal code or region; bare coordinates are dropped.
    if not (view.country or view.city):
        return None
    location: Obj = {k: v for k, v in (("country", view.country), ("city", view.city)) if v}
    lat, long = view.latitude, view.longitude
    if lat is not None and long is not None and _on_earth(lat, long):
        location |= {"lat": lat, "long": long}
    return location


def _on_earth(lat: float, long: float) -> bool:
    # NaN fails both comparisons, so corrupt enrichment never reaches the SIEM.
    return -90.0 <= lat <= 90.0 and -180.0 <= long <= 180.0


def _change_artifact(change: CredentialChange, user: Obj) -> Obj:
    target = {**user, "uid": change.target_id} if change.target_id else user
    artifact: Obj = {
        "name": f"credential_change.{change.kind}",
        "uid": change.id,
        "user": target,
        "data": msgspec.to_builtins(change),
    }
    if change.actor:
        artifact["actor"] = {"user": {"name": change.actor}}
    return artifact


def _evidence_artifact(item: Evidence, user: Obj) -> Obj:
    return {"name": item.code, "user": user, "data": msgspec.to_builtins(item)}


def _leftover_artifacts(finding: Finding, user: Obj) -> list[Obj]:
    view = finding.signin or SignInView(id="", time=0)
    carried_phones: set[str | None] = {c.caller_number for c in finding.changes}
    out: list[Obj] = []
    for ip in _unique(finding.observables.ips, {view.ip}):
        out.append({"name": "observed_ip", "user": user, "src_endpoint": {"ip": ip}})
    for dev in _unique(finding.observables.devices, {view.device_id, view.device_name}):
        out.append({"name": "observed_device", "user": user, "device": device_object(None, dev)})
    for phone in _unique(finding.observables.phone_numbers, carried_phones):
        out.append({"name": "observed_caller", "data": {"caller_number": phone}})
    for agent in _unique(finding.observables.user_agents, {view.user_agent}):
        # OCSF does not count http_request towards an artifact's "at least one of": add user.
        out.append(
            {"name": "observed_user_agent", "user": user, "http_request": {"user_agent": agent}}
        )
    return out


def _unique(values: tuple[str, ...], present: set[str | None]) -> list[str]:
    seen = set(present)
    out = []
    for value in values:
        if value and value not in seen:
            seen.add(value)
            out.append(value)
    return out
