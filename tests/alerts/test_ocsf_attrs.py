"""Every key the encoder emits is an OCSF 1.8.0 attribute of the object it sits in."""

from __future__ import annotations

from typing import Any

import pytest

from correlator.alerts import finding_to_ocsf
from tests.alerts.ocsf_attrs import ATTRS, ocsf_problems
from tests.alerts.test_encode import CASES


@pytest.mark.parametrize("finding_", [c[1] for c in CASES], ids=[c[0] for c in CASES])
def test_emits_only_ocsf_attributes(finding_: Any) -> None:
    alert = finding_to_ocsf(finding_, product_version="1.0")
    assert ocsf_problems(alert) == []


def test_attribute_file_is_the_1_8_0_detection_finding() -> None:
    assert ATTRS["ocsf_version"] == "1.8.0"
    assert (ATTRS["class"]["name"], ATTRS["class"]["uid"]) == ("detection_finding", 2004)


def test_checker_catches_invented_and_missing_attributes() -> None:
    alert: dict[str, Any] = finding_to_ocsf(CASES[0][1], product_version="1.0")
    alert["score"] = 1
    alert["finding_info"]["timeline"] = []
    del alert["metadata"]["version"]
    del alert["metadata"]["profiles"]
    problems = ocsf_problems(alert)
    assert "$.score: not an OCSF 1.8.0 attribute here" in problems
    assert "$.finding_info.timeline: not an OCSF 1.8.0 attribute here" in problems
    assert "$.metadata.version: required by metadata, missing" in problems
    assert any(p.startswith("$.confidence_id: belongs to profile") for p in problems)
