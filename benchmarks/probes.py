"""Latency probes: users with a settled history, then a helpdesk reset and an attacker sign-in.

Built from the simulated tenant's own records (a background sign-in for the history, an attack
sign-in for the attacker), re-addressed to fresh users, so every field has the real shape.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

import orjson

from correlator.simulate import Simulation

Message = tuple[str, bytes, bytes | None]


def _iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _templates(sim: Simulation) -> tuple[dict[str, Any], dict[str, Any]]:
    attack = next(label for label in sim.labels if label["kind"] == "attack")
    change = datetime.fromisoformat(attack["change_time"].replace("Z", "+00:00"))
    attacker = min(
        (
            r
            for r in sim.signins
            if r["userPrincipalName"] == attack["user"]
            and r["status"]["errorCode"] == 0
            and r.get("isInteractive")
            and datetime.fromisoformat(r["createdDateTime"].replace("Z", "+00:00")) > change
        ),
        key=lambda r: r["createdDateTime"],
    )
    home = next(
        r
        for r in sim.signins
        if r.get("isInteractive")
        and r["status"]["errorCode"] == 0
        and r["deviceDetail"].get("deviceId")
    )
    return home, attacker


def _signin(template: dict[str, Any], user: str, when: datetime, sid: str) -> dict[str, Any]:
    record = copy.deepcopy(template)
    record.update(
        id=sid,
        createdDateTime=_iso(when),
        userPrincipalName=user,
        userId=sid,
        userDisplayName=user.split("@")[0],
    )
    return record


def build_probes(
    sim: Simulation, count: int, start: datetime
) -> list[tuple[list[Message], list[Message], str]]:
    home, attacker = _templates(sim)
    domain = home["userPrincipalName"].split("@")[1]
    probes = []
    for n in range(count):
        user = f"probe{n}@{domain}"
        key = user.encode()
        history = [
            (
                "signins",
                orjson.dumps(_signin(home, user, start + timedelta(days=d), f"p{n}-h{d}")),
                key,
            )
            for d in range(6)
        ]
        reset = start + timedelta(days=7, minutes=n)
        ticket = {
            "type": "helpdesk.credential_change",
            "id": f"p{n}-t",
            "time": _iso(reset),
            "target_user": user,
            "agent": f"agent@{domain}",
            "action": "password_reset",
            "ticket_id": f"BENCH{n}",
            "caller_number": "+15550100",
            "caller_verified": True,
            "verification_method": "security_questions",
            "channel": "phone",
        }
        attack = [
            ("tickets", orjson.dumps(ticket), key),
            (
                "signins",
                orjson.dumps(_signin(attacker, user, reset + timedelta(minutes=3), f"p{n}-x")),
                key,
            ),
        ]
        probes.append((history, attack, user))
    return probes
