"""Write a simulation to disk the way the real sources would hand it over.

Layout under ``out`` (the logs apart from the rest, so ``correlator replay out/logs`` reads
exactly the inputs):
  logs/signins/page-00001.json ...   Graph beta signIn pages, newest first, ≤ 1000 records a
                                     page, each but the last with an ``@odata.nextLink``
  logs/audits/directoryAudits.jsonl  Graph directoryAudit objects, one per line, oldest first
  logs/helpdesk/tickets.jsonl        helpdesk.credential_change events, oldest first
  logs/calls/pstn_calls.json         one Graph getPstnCalls page (pstnCallLogRow)
  logs/vpn/gateways.log              VPN gateway logins as syslog lines, oldest first
  labels.json                        ground truth, one object per scenario
  geoip/*.mmdb                       City, ASN and Anonymous-IP databases covering every address
  correlator.yaml                    the correlator's config for this tenant: corporate egress
                                     and the geoip directory
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson
import yaml

from correlator.enrich.mmdb_build import write_geoip_dir
from correlator.simulate.core import Simulation

GRAPH_BETA = "https://graph.microsoft.com/beta"
SIGNIN_CONTEXT = f"{GRAPH_BETA}/$metadata#auditLogs/signIns"
# Both interactive and non-interactive sign-ins: what a poller asks the beta endpoint for.
SIGNIN_QUERY = (
    f"{GRAPH_BETA}/auditLogs/signIns?$filter=signInEventTypes/any(t:t eq 'interactiveUser' "
    "or t eq 'nonInteractiveUser')&$top={top}&$skiptoken={token}"
)
PSTN_CONTEXT = (
    "https://graph.microsoft.com/v1.0/$metadata"
    "#Collection(microsoft.graph.callRecords.pstnCallLogRow)"
)
PAGE_SIZE = 1000


LOGS_DIR = "logs"


def write_simulation(sim: Simulation, out: Path, page_size: int = PAGE_SIZE) -> dict[str, int]:
    """Write every output file; returns how many records (or files) of each kind."""
    if not 1 <= page_size <= 1000:
        raise ValueError(f"page_size must be 1..1000 (Graph's limit), not {page_size}")
    out = Path(out)
    logs = out / LOGS_DIR
    pages = _write_signin_pages(sim, logs / "signins", page_size)
    _write_jsonl(logs / "audits" / "directoryAudits.jsonl", sim.audits)
    _write_jsonl(logs / "helpdesk" / "tickets.jsonl", sim.tickets)
    _write_json(logs / "calls" / "pstn_calls.json", _pstn_page(sim.calls))
    _write_lines(logs / "vpn" / "gateways.log", sim.vpn)
    _write_json(out / "labels.json", sim.labels)
    geo = sim.geo
    write_geoip_dir(
        out / "geoip",
        city=geo.city_records(),
        asn=geo.asn_records(),
        anonymous=geo.anonymous_records(),
    )
    _write_config(out / "correlator.yaml", sim)
    return {
        "signins": len(sim.signins),
        "signin_pages": pages,
        "audits": len(sim.audits),
        "tickets": len(sim.tickets),
        "calls": len(sim.calls),
        "vpn": len(sim.vpn),
        "labels": len(sim.labels),
        "geoip_networks": len(geo.networks),
    }


def _skiptoken(tenant_id: str, page: int) -> str:
    return hashlib.sha256(f"{tenant_id}:{page}".encode()).hexdigest()


def _write_signin_pages(sim: Simulation, directory: Path, page_size: int) -> int:
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("page-*.json"):  # a rerun with fewer pages must not leave extras
        stale.unlink()
    newest_first = sim.signins[::-1]
    count = max(1, -(-len(newest_first) // page_size))
    for index in range(count):
        page: dict[str, Any] = {"@odata.context": SIGNIN_CONTEXT}
        if index + 1 < count:
            token = _skiptoken(sim.tenant_id, index + 1)
            page["@odata.nextLink"] = SIGNIN_QUERY.format(top=page_size, token=token)
        page["value"] = newest_first[index * page_size : (index + 1) * page_size]
        _write_json(directory / f"page-{index + 1:05d}.json", page)
    return count


def _pstn_page(calls: list[dict[str, Any]]) -> dict[str, Any]:
    return {"@odata.context": PSTN_CONTEXT, "@odata.count": len(calls), "value": calls}


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(data))


def _write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        for record in records:
            fh.write(orjson.dumps(record))
            fh.write(b"\n")


def _write_lines(path: Path, lines: list[str]) -> None:
    if not lines:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def _write_config(path: Path, sim: Simulation) -> None:
    header = (
        f"# correlator config for the simulated tenant {sim.domain} ({sim.tenant_id}).\n"
        "# Offices and the corporate VPN egress: sign-ins from these networks are corporate, so\n"
        "# the VPN's hosting/VPN flags in the anonymizer database must not count as evidence.\n"
    )
    config: dict[str, Any] = {"geoip_dir": "geoip", "corporate": sim.corporate}
    if sim.aliases:
        config["aliases"] = sim.aliases  # the names people type at the VPN gateways
    if sim.allowed_numbers:
        config["detection"] = {"callback_allowed_numbers": list(sim.allowed_numbers)}
    body = yaml.safe_dump(config, sort_keys=False)
    path.write_text(header + body, encoding="utf-8")
