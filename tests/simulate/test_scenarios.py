"""Labels point at events that exist, and each scenario's events say what the label says."""

from __future__ import annotations

from datetime import datetime

from correlator.simulate import Simulation

LABEL_KEYS = {"id", "kind", "scenario", "user", "change_time", "change_ids", "expected",
              "description", "signin_ids", "call_ids", "detections"}  # fmt: skip


def _ms(text: str) -> int:
    return int(datetime.fromisoformat(text[:19] + "+00:00").timestamp() * 1000)


def _by_id(records: list[dict]) -> dict[str, dict]:
    return {r["id"]: r for r in records}


def test_labels_reference_existing_events(sim: Simulation) -> None:
    signins, calls = _by_id(sim.signins), _by_id(sim.calls)
    changes = _by_id(sim.audits) | _by_id(sim.tickets)
    users = {u["userPrincipalName"] for u in sim.users}
    assert len({label["id"] for label in sim.labels}) == len(sim.labels)
    for label in sim.labels:
        assert set(label) == LABEL_KEYS
        assert label["user"] in users
        assert all(i in changes for i in label["change_ids"]), label["id"]
        assert all(i in signins for i in label["signin_ids"]), label["id"]
        assert all(i in calls for i in label["call_ids"]), label["id"]
        assert all(signins[i]["userPrincipalName"] == label["user"] for i in label["signin_ids"])


def test_scenario_catalogue(sim: Simulation) -> None:
    names = {label["scenario"] for label in sim.labels}
    assert {
        "vishing_reset_mfa_wipe",
        "vishing_tap_privileged_admin",
        "vishing_mfa_reset_only",
    } <= names
    assert {"forgot_password", "self_service_reset_new_network", "corporate_vpn_after_reset",
            "new_managed_laptop_after_reset", "failed_takeover_attempt", "business_traveller",
            "new_hire_onboarding_tap"} <= names  # fmt: skip
    expected = {label["kind"]: set() for label in sim.labels}
    for label in sim.labels:
        expected[label["kind"]].add(label["expected"])
    assert expected["attack"] == {"high", "at_most_medium"}  # a burst's targets: at most Medium
    assert expected["lookalike"] == {"not_high", "at_most_medium"}


def test_attacks_sign_in_successfully_soon_after_the_change(sim: Simulation) -> None:
    signins = _by_id(sim.signins)
    # The takeovers through a credential change (MFA fatigue needs none; a call campaign is
    # caught before anyone signs in).
    for label in (
        x for x in sim.labels if x["kind"] == "attack" and x["change_ids"] and x["signin_ids"]
    ):
        first = signins[label["signin_ids"][0]]
        delay = _ms(first["createdDateTime"]) - _ms(label["change_time"])
        assert 0 < delay <= 60 * 60_000, label["id"]
        assert first["status"]["errorCode"] == 0 and first["isInteractive"]
        # The attacker's device was never used by this user before the change.
        device = first["deviceDetail"]["deviceId"]
        earlier = [s for s in sim.signins if s["userPrincipalName"] == label["user"] and
                   _ms(s["createdDateTime"]) < _ms(label["change_time"])]  # fmt: skip
        assert earlier, "attack targets have a history"
        assert device == "" or all(s["deviceDetail"]["deviceId"] != device for s in earlier)


def test_attack_chain_has_calls_and_a_ticket(sim: Simulation) -> None:
    tickets = _by_id(sim.tickets)
    calls = _by_id(sim.calls)
    helpdesk = [x for x in sim.labels if "ato-after-credential-change" in x["detections"]]
    assert helpdesk
    for label in helpdesk:  # the helpdesk takeovers (a vishing chain may bypass the desk)
        entries = [tickets[i] for i in label["change_ids"] if i in tickets]
        assert entries and all(t["caller_verified"] for t in entries)
        numbers = {calls[i]["callerNumber"] for i in label["call_ids"]}
        assert numbers == {entries[0]["caller_number"]}


def test_failed_attempt_never_succeeds(sim: Simulation) -> None:
    signins = _by_id(sim.signins)
    (label,) = [x for x in sim.labels if x["scenario"] == "failed_takeover_attempt"]
    assert label["expected"] == "at_most_medium"
    assert all(signins[i]["status"]["errorCode"] != 0 for i in label["signin_ids"])


def test_new_hire_has_no_history_before_onboarding(sim: Simulation) -> None:
    (label,) = [x for x in sim.labels if x["scenario"] == "new_hire_onboarding_tap"]
    start = _ms(label["change_time"])
    times = [
        _ms(s["createdDateTime"]) for s in sim.signins if s["userPrincipalName"] == label["user"]
    ]
    assert times and min(times) > start


def test_every_credential_change_is_labelled(sim: Simulation) -> None:
    credential = {"Reset user password", "Reset password (by admin)", "Admin deleted security info",
                  "Admin registered security info", "Reset password (self-service)",
                  "User registered security info"}  # fmt: skip
    labelled = {i for label in sim.labels for i in label["change_ids"]}
    for audit in sim.audits:
        if audit["activityDisplayName"] in credential:
            assert audit["id"] in labelled, audit["activityDisplayName"]
    assert all(t["id"] in labelled for t in sim.tickets)
