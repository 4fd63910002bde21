"""The simulated VPN gateway logs parse, and the VPN takeover is caught through them alone."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
import pytest

from correlator.identity import AliasMap
from correlator.model import VPN_APP, SignIn
from correlator.runtime.replay import replay
from correlator.simulate import SimulationConfig, simulate, write_simulation
from correlator.sources import decode_lines, parse_record
from correlator.wiring import build_engine, build_normalizer, load_cli_settings


@pytest.fixture(scope="module")
def tenant(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("vpn-tenant")
    write_simulation(simulate(SimulationConfig(users=60, days=10, seed=7)), out)
    return out


def test_every_gateway_line_is_a_login_of_a_known_user(tenant: Path) -> None:
    config = load_cli_settings(tenant / "correlator.yaml")
    aliases = AliasMap(config.aliases)
    users = set(config.aliases.values())
    formats: Counter[str] = Counter()
    lines = decode_lines((tenant / "logs" / "vpn" / "gateways.log").read_bytes())
    assert len(lines) > 20
    for _, record in lines:
        (event,) = parse_record(record)  # raises on any reject: there must be none
        assert isinstance(event, SignIn) and event.app == VPN_APP
        formats[event.source_format or ""] += 1
        assert aliases.resolve(event.user) in users or "@" in event.user
    assert set(formats) == {"panos.globalprotect", "cisco_asa.vpn", "fortigate.vpn"}, formats


def test_the_vpn_takeover_is_caught_and_its_lookalike_is_not(tenant: Path) -> None:
    settings = load_cli_settings(tenant / "correlator.yaml", geoip_dir=tenant / "geoip")
    engine, normalizer = build_engine(settings), build_normalizer(settings)
    result = replay([tenant / "logs"], engine, normalizer, now_ms=2**42)
    assert result.events["signin"] and not result.rejected_by_reason().get("unknown_format")
    latest = result.latest().values()
    labels = {x["scenario"]: x for x in orjson.loads((tenant / "labels.json").read_bytes())}
    attack, lookalike = labels["vishing_reset_vpn_login"], labels["vpn_login_after_reset"]
    caught = [f for f in latest if f.user == attack["user"]]
    assert caught and max(f.severity for f in caught) >= 4
    # The finding leans on the gateway login: Entra never saw the attacker.
    assert any(f.signin is not None and f.signin.app == VPN_APP for f in caught)
    assert all(f.severity < 4 for f in latest if f.user == lookalike["user"])
