"""Human-readable rendering of an OCSF alert dict for the ``replay`` and ``demo`` terminals.

It reads the alert (not the Finding) so that what an operator sees is exactly what the SIEM got,
including alerts read back from a JSON-lines file. Alert text holds record values, so every
line is passed through ``terminal.safe`` before the only escape codes (our colours) are added.
"""

from __future__ import annotations

from collections.abc import Iterator

from correlator.alerts.encode import EVIDENCE_HEADING, TIMELINE_HEADING, utc
from correlator.terminal import safe

_RESET = "\x1b[0m"
_BOLD = "\x1b[1m"
_SEVERITY_COLORS = {
    "Critical": "\x1b[1;31m",
    "High": "\x1b[31m",
    "Medium": "\x1b[33m",
    "Low": "\x1b[36m",
    "Informational": "\x1b[2m",
}


def render_alert_text(alert: dict[str, object], *, color: bool = False) -> str:
    def paint(text: str, code: str) -> str:
        return f"{code}{text}{_RESET}" if color and code else text

    info = _dict(alert.get("finding_info"))
    severity = str(alert.get("severity", "Unknown"))
    color_code = _SEVERITY_COLORS.get(severity, "")
    head = f"{paint(safe(severity.upper()), color_code)}  {safe(info.get('title', ''))}"
    lines = [head, *map(safe, _facts(alert, info))]
    for heading, body in _sections(alert, info):
        if body:
            lines += ["", paint(heading, _BOLD), *map(safe, body)]
    return "\n".join(lines)


def _facts(alert: dict[str, object], info: dict[str, object]) -> Iterator[str]:
    unmapped = _dict(alert.get("unmapped"))
    revision = f", revision {unmapped['revision']}" if "revision" in unmapped else ""
    yield f"  user      {_user(alert)}"
    yield f"  finding   {info.get('uid', '?')} ({alert.get('activity_name', '?')}{revision})"
    score, confidence = alert.get("confidence_score", "?"), alert.get("confidence", "?")
    yield f"  score     {score}/100 (confidence {confidence})"
    detail = alert.get("status_detail")
    yield f"  status    {alert.get('status', '?')}" + (f": {detail}" if detail else "")
    yield f"  window    {_time(alert.get('start_time'))} -> {_time(alert.get('end_time'))}"
    for number, line in enumerate(_summary(info).splitlines()):
        yield ("  summary   " if number == 0 else "            ") + line


def _sections(alert: dict[str, object], info: dict[str, object]) -> Iterator[tuple[str, list[str]]]:
    yield (
        "Timeline (UTC)",
        [
            f"  {_time(e.get('created_time'))}  {e.get('type', '?'):<18} {e.get('desc', '')}"
            for e in _dicts(info.get("related_events"))
        ],
    )
    yield (
        "Evidence",
        [
            f"  - {data['sentence']}"
            for data in (_dict(e.get("data")) for e in _dicts(alert.get("evidences")))
            if "sentence" in data
        ],
    )
    yield "MITRE ATT&CK", list(_attacks(info))
    remediation = str(_dict(alert.get("remediation")).get("desc", ""))
    yield (
        "Recommended actions",
        [f"  {n}. {action}" for n, action in enumerate(remediation.splitlines(), start=1)],
    )


def _attacks(info: dict[str, object]) -> Iterator[str]:
    # The alert holds one attack object per (technique, tactic); show one line per technique.
    tactics: dict[tuple[str, str], list[str]] = {}
    for attack in _dicts(info.get("attacks")):
        technique = _dict(attack.get("technique"))
        sub = _dict(attack.get("sub_technique"))
        uid = str(sub.get("uid") or technique.get("uid", "?"))
        names = [str(n) for n in (technique.get("name"), sub.get("name")) if n]
        names_for_uid = tactics.setdefault((uid, ": ".join(names)), [])
        tactic = _dict(attack.get("tactic")).get("name")
        if tactic:
            names_for_uid.append(str(tactic))
    for (uid, name), tactic_names in tactics.items():
        suffix = f" ({', '.join(tactic_names)})" if tactic_names else ""
        yield f"  {uid} {name}{suffix}".rstrip()


def _summary(info: dict[str, object]) -> str:
    desc = str(info.get("desc", ""))
    for heading in (TIMELINE_HEADING, EVIDENCE_HEADING):
        desc = desc.split(f"\n\n{heading}\n", 1)[0]
    return desc


def _user(alert: dict[str, object]) -> str:
    for artifact in _dicts(alert.get("evidences")):
        name = _dict(artifact.get("user")).get("name")
        if name:
            return str(name)
    return "?"


def _time(value: object) -> str:
    return utc(value) if isinstance(value, int) else "?"


def _dict(value: object) -> dict[str, object]:
    return value if isinstance(value, dict) else {}


def _dicts(value: object) -> list[dict[str, object]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
