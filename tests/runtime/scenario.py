"""Scenario runs of the stream job compared with replay: missing, extra, different, re-delivered.

A scenario's answer is the last version of every published finding (what a SIEM ends up
holding), Medium and above, closed ones left out. Replay's answer is the same digest of the
alerts ``correlator replay`` gives for the tenant. Each run adds a row to the table printed at
the end of the session.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import orjson
from confluent_kafka import Message

from correlator import __version__
from correlator.alerts import encode_alert
from correlator.model import Finding, Severity

Digest = tuple[int, tuple[str, ...]]  # severity_id, the evidence names


def digest(alert: dict[str, object]) -> Digest:
    evidences = alert.get("evidences") or []
    names = tuple(sorted(str(e["name"]) for e in evidences))  # type: ignore[attr-defined]
    return int(alert["severity_id"]), names  # type: ignore[call-overload]


def live(alerts: dict[str, dict[str, object]]) -> dict[str, Digest]:
    return {
        uid: digest(a)
        for uid, a in alerts.items()
        if a["activity_id"] != 3 and int(a["severity_id"]) >= Severity.MEDIUM  # type: ignore[call-overload]
    }


def replay_digests(findings: list[Finding]) -> dict[str, Digest]:
    latest: dict[str, dict[str, object]] = {}
    for finding in findings:
        latest[finding.uid] = orjson.loads(encode_alert(finding, product_version=__version__))
    return live(latest)


@dataclass
class Outcome:
    scenario: str
    replay: int  # replay's alerts
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    different: list[str] = field(default_factory=list)
    redelivered: int = 0  # alert messages published more than once
    identical: bool = True  # every re-delivered message is byte-identical to the first
    note: str = ""
    # For each different uid: what replay says, and what the stream said (severity, evidence).
    details: dict[str, tuple[Digest, Digest]] = field(default_factory=dict, repr=False)

    def __str__(self) -> str:
        lines = [repr(self)]
        lines += [
            f"  {uid}: replay {want} stream {got}" for uid, (want, got) in self.details.items()
        ]
        return "\n".join(lines)

    @property
    def equal(self) -> bool:
        return not (self.missing or self.extra or self.different) and self.identical

    def row(self) -> str:
        same = "yes" if self.identical else "NO"
        return (
            f"| {self.scenario} | {self.replay} | {len(self.missing)} | {len(self.extra)} | "
            f"{len(self.different)} | {self.redelivered} ({same}) | {self.note} |"
        )


OUTCOMES: list[Outcome] = []  # every scenario run this session, for the closing table
TABLE_HEAD = (
    "| scenario | replay | missing | extra | different | re-delivered (identical) | note |",
    "|---|---|---|---|---|---|---|",
)


def compare(
    scenario: str, expected: dict[str, Digest], messages: list[Message], note: str = ""
) -> Outcome:
    latest: dict[str, dict[str, object]] = {}
    seen: dict[str, bytes] = {}
    copies: Counter[str] = Counter()
    identical = True
    for message in messages:
        value = message.value() or b""
        alert = orjson.loads(value)
        latest[alert["finding_info"]["uid"]] = alert
        key = alert["metadata"]["uid"]  # uid:activity:revision, one per version
        copies[key] += 1
        if key in seen and seen[key] != value:
            identical = False
        seen.setdefault(key, value)
    got = live(latest)
    different = sorted(u for u in set(got) & set(expected) if got[u] != expected[u])
    return Outcome(
        scenario,
        len(expected),
        missing=sorted(set(expected) - set(got)),
        extra=sorted(set(got) - set(expected)),
        different=different,
        details={u: (expected[u], got[u]) for u in different},
        redelivered=sum(n - 1 for n in copies.values()),
        identical=identical,
        note=note,
    )
