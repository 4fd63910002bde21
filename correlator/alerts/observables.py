"""OCSF ``observables``: the values a SIEM indexes for pivoting, each naming where it sits.

Every value listed here is carried by an evidence artifact (see ``evidence``), so ``name`` is a
real path into the alert. OCSF 1.8.0 has no phone-number observable type: those use Other (99).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from correlator.model import Finding, SignInView

USER_NAME = (4, "User Name", "evidences[].user.name")
USER_UID = (31, "User Object: uid", "evidences[].user.uid")
ACTOR_NAME = (4, "User Name", "evidences[].actor.user.name")
IP = (2, "IP Address", "evidences[].src_endpoint.ip")
COUNTRY = (14, "Country", "evidences[].src_endpoint.location.country")
DEVICE_UID = (47, "Device Object: uid", "evidences[].device.uid")
DEVICE_NAME = (1, "Hostname", "evidences[].device.name")
PHONE = (99, "Phone Number", "evidences[].data.caller_number")
USER_AGENT = (16, "HTTP User-Agent", "evidences[].http_request.user_agent")

Kind = tuple[int, str, str]


def observables(finding: Finding) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    seen: set[tuple[str, str]] = set()
    for (type_id, caption, name), value in _pairs(finding):
        if value and (name, value) not in seen:
            seen.add((name, value))
            out.append({"name": name, "type_id": type_id, "type": caption, "value": value})
    return out


def _pairs(finding: Finding) -> Iterator[tuple[Kind, str | None]]:
    yield USER_NAME, finding.user
    yield USER_UID, finding.user_id
    for change in finding.changes:
        yield USER_UID, change.target_id
        yield ACTOR_NAME, change.actor
    if finding.signin is not None:
        yield from _view_pairs(finding.signin)
    obs = finding.observables
    device_id = finding.signin.device_id if finding.signin else None
    yield from _each(IP, obs.ips)
    yield from _each(DEVICE_NAME, (d for d in obs.devices if d != device_id))
    yield from _each(PHONE, (c.caller_number for c in finding.changes))
    yield from _each(PHONE, obs.phone_numbers)
    yield from _each(USER_AGENT, obs.user_agents)


def _view_pairs(view: SignInView) -> Iterator[tuple[Kind, str | None]]:
    if view.ip:  # the location is only emitted on an endpoint that has an ip
        yield IP, view.ip
        yield COUNTRY, view.country
    yield DEVICE_UID, view.device_id
    yield DEVICE_NAME, view.device_name
    yield USER_AGENT, view.user_agent


def _each(kind: Kind, values: Iterable[str | None]) -> Iterator[tuple[Kind, str | None]]:
    for value in values:
        yield kind, value
