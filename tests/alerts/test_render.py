"""render_alert_text: what an operator reads in ``correlator replay`` / ``demo``."""

from __future__ import annotations

import orjson
import pytest

from correlator.alerts import encode_alert, finding_to_ocsf, render_alert_text
from tests.alerts.findings import BASE, finding
from tests.alerts.test_encode import MINIMAL


def _text(**changes: object) -> str:
    return render_alert_text(finding_to_ocsf(finding(**changes), product_version="1"))


def test_shows_every_evidence_sentence_and_timeline_line() -> None:
    text = _text()
    for item in BASE.evidence:
        assert f"  - {item.sentence}\n" in text
    assert "  2024-05-01 09:58:00Z  call               call from +15551234567\n" in text
    assert "  2024-05-01 10:00:00Z  credential_change  bob.helpdesk reset the password\n" in text
    assert "  2024-05-01 10:04:00Z  signin             sign-in from 203.0.113.9 (NL)\n" in text


def test_shows_headline_facts_and_actions() -> None:
    lines = _text().splitlines()
    assert lines[0] == f"HIGH  {BASE.title}"
    assert "  user      alice@contoso.com" in lines
    assert "  score     85/100 (confidence High)" in lines
    assert f"  summary   {BASE.summary}" in lines
    assert "  1. Revoke the user's sessions and refresh tokens." in lines
    assert (
        "  T1078.004 Valid Accounts: Cloud Accounts "
        "(Initial Access, Persistence, Defense Evasion, Privilege Escalation)"
    ) in lines
    assert "  T1598.004 Phishing for Information: Spearphishing Voice (Reconnaissance)" in lines


def test_summary_is_not_repeated_with_the_desc_timeline() -> None:
    assert _text().count("bob.helpdesk reset the password") == 1


def test_superseded_close_says_by_what() -> None:
    text = _text(activity="close", revision=2, superseded_by="ato-2")
    assert "  status    Superseded: superseded by finding ato-2" in text


@pytest.mark.parametrize("color", [False, True])
def test_colour_only_on_request(color: bool) -> None:
    text = render_alert_text(finding_to_ocsf(BASE, product_version="1"), color=color)
    assert ("\x1b[" in text) is color
    if color:
        assert text.startswith("\x1b[31mHIGH\x1b[0m")


def test_renders_an_alert_read_back_from_the_wire() -> None:
    wire = orjson.loads(encode_alert(BASE, product_version="1"))
    assert render_alert_text(wire) == render_alert_text(finding_to_ocsf(BASE, product_version="1"))


def test_minimal_alert_has_no_empty_sections() -> None:
    text = render_alert_text(finding_to_ocsf(MINIMAL, product_version="1"))
    for heading in ("Timeline (UTC)", "Evidence", "MITRE ATT&CK", "Recommended actions"):
        assert heading not in text


def test_tolerates_a_foreign_alert() -> None:
    assert render_alert_text({}).startswith("UNKNOWN  ")
