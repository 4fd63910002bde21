"""The files on disk: Graph pages, JSON lines, labels, config, and GeoIP coverage."""

from __future__ import annotations

from pathlib import Path

import geoip2.database
import orjson
import pytest
import yaml

from correlator.config import load_settings
from correlator.simulate import Simulation, write_simulation


def _pages(out: Path) -> list[dict]:
    return [
        orjson.loads(p.read_bytes()) for p in sorted((out / "logs" / "signins").glob("page-*.json"))
    ]


def test_counts_match_the_simulation(sim: Simulation, written: tuple[Path, dict]) -> None:
    _, counts = written
    assert counts["signins"] == len(sim.signins)
    assert counts["audits"] == len(sim.audits) and counts["calls"] == len(sim.calls)
    assert counts["labels"] == len(sim.labels) and counts["tickets"] == len(sim.tickets)


def test_signin_pages_are_graph_pages_newest_first(written: tuple[Path, dict]) -> None:
    out, counts = written
    pages = _pages(out)
    assert len(pages) == counts["signin_pages"] > 1
    for index, page in enumerate(pages):
        assert page["@odata.context"].endswith("$metadata#auditLogs/signIns")
        assert len(page["value"]) <= 500
        assert ("@odata.nextLink" in page) == (index + 1 < len(pages))
    times = [r["createdDateTime"] for page in pages for r in page["value"]]
    assert len(times) == counts["signins"]
    assert times == sorted(times, reverse=True)


def test_jsonl_and_call_page(written: tuple[Path, dict]) -> None:
    out, counts = written
    audits = (out / "logs" / "audits" / "directoryAudits.jsonl").read_bytes().splitlines()
    assert len(audits) == counts["audits"] and all(orjson.loads(line) for line in audits)
    tickets = (out / "logs" / "helpdesk" / "tickets.jsonl").read_bytes().splitlines()
    assert len(tickets) == counts["tickets"]
    calls = orjson.loads((out / "logs" / "calls" / "pstn_calls.json").read_bytes())
    assert calls["@odata.count"] == len(calls["value"]) == counts["calls"]
    assert "pstnCallLogRow" in calls["@odata.context"]
    labels = orjson.loads((out / "labels.json").read_bytes())
    assert len(labels) == counts["labels"]


def test_config_declares_corporate_egress(sim: Simulation, written: tuple[Path, dict]) -> None:
    out, _ = written
    config = yaml.safe_load((out / "correlator.yaml").read_text())
    assert config["corporate"] == sim.corporate
    assert config["corporate"]["cidrs"] and config["corporate"]["asns"]
    # The config finds the tenant's databases next to itself, wherever the tenant was written.
    assert load_settings(out / "correlator.yaml").geoip_dir == out / "geoip"


def _all_ips(sim: Simulation) -> set[str]:
    ips = {r["ipAddress"] for r in sim.signins}
    ips |= {a["initiatedBy"]["user"]["ipAddress"] for a in sim.audits}
    return ips


def test_geoip_covers_every_address(sim: Simulation, written: tuple[Path, dict]) -> None:
    out, _ = written
    geo = out / "geoip"
    with (
        geoip2.database.Reader(str(geo / "GeoLite2-City.mmdb")) as city,
        geoip2.database.Reader(str(geo / "GeoLite2-ASN.mmdb")) as asn,
    ):
        for ip in _all_ips(sim):
            where = city.city(ip)
            assert where.country.iso_code and where.city.name, ip
            assert 5 <= (where.location.accuracy_radius or 0) <= 500, ip
            assert asn.asn(ip).autonomous_system_number, ip


def test_geoip_matches_what_the_log_reports(sim: Simulation, written: tuple[Path, dict]) -> None:
    out, _ = written
    with (
        geoip2.database.Reader(str(out / "geoip" / "GeoLite2-City.mmdb")) as city,
        geoip2.database.Reader(str(out / "geoip" / "GeoLite2-ASN.mmdb")) as asn,
    ):
        for rec in sim.signins[:: max(1, len(sim.signins) // 500)]:
            assert (
                city.city(rec["ipAddress"]).country.iso_code == rec["location"]["countryOrRegion"]
            )
            found = asn.asn(rec["ipAddress"]).autonomous_system_number
            assert found == rec["autonomousSystemNumber"]


def test_anonymizer_flags(sim: Simulation, written: tuple[Path, dict]) -> None:
    out, _ = written
    signins = {r["id"]: r for r in sim.signins}
    with geoip2.database.Reader(str(out / "geoip" / "GeoIP2-Anonymous-IP.mmdb")) as anon:
        # Every attack that signs in does so through an anonymizer (a campaign may not sign in).
        for label in (x for x in sim.labels if x["kind"] == "attack" and x["signin_ids"]):
            ip = signins[label["signin_ids"][0]]["ipAddress"]
            assert anon.anonymous_ip(ip).is_anonymous or _residential(anon, ip), label["id"]
        vpn = next(c for c in sim.corporate["cidrs"] if c.startswith("192.0.2."))
        assert anon.anonymous_ip(vpn.split("/")[0].rsplit(".", 1)[0] + ".10").is_anonymous_vpn


def _residential(reader: geoip2.database.Reader, ip: str) -> bool:
    return bool(reader.anonymous_ip(ip).is_residential_proxy)


def test_page_size_is_bounded(sim: Simulation, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="page_size"):
        write_simulation(sim, tmp_path, page_size=1001)
