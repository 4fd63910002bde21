"""The ato-after-credential-change alerts over a fixed simulated tenant, byte for byte.

The golden file was written before the rules became plug-ins; the refactor must not move a
byte. Regenerate it only for a deliberate change of the rule's output, and say why in the
commit: ``python -m tests.rules.test_golden_ato``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import orjson

from correlator.cli import main
from correlator.simulate import SimulationConfig, simulate, write_simulation

GOLDEN = Path(__file__).parent / "golden" / "ato_alerts.jsonl"
# Without the later detections' patterns and VPN logins: the tenant as it was when the golden
# file was written.
TENANT = SimulationConfig(users=300, days=14, seed=3, attacks=9, patterns=False, vpn=False)
RULE = "ato-after-credential-change"


def ato_alerts(work: Path) -> bytes:
    tenant, out = work / "tenant", work / "alerts.jsonl"
    write_simulation(simulate(TENANT), tenant)
    args = ["replay", str(tenant / "logs"), "--config", str(tenant / "correlator.yaml")]
    assert main([*args, "--out", str(out)]) == 0
    lines = out.read_bytes().splitlines()
    kept = [line for line in lines if _rule(line) == RULE]
    return b"\n".join(kept) + b"\n"


def _rule(line: bytes) -> str:
    alert = orjson.loads(line)
    return str(alert["finding_info"]["analytic"]["uid"])


def test_ato_alerts_are_byte_identical(tmp_path: Path) -> None:
    got = ato_alerts(tmp_path)
    golden = GOLDEN.read_bytes()
    assert golden.count(b"\n") >= 10  # the scenario: a tenant with takeovers and updates
    assert got == golden


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as work:
        GOLDEN.write_bytes(ato_alerts(Path(work)))
    sys.exit(0)
