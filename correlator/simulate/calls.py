"""Helpdesk credential-change tickets and Graph ``pstnCallLogRow`` call records."""

from __future__ import annotations

import random
from typing import Any

from correlator.simulate.catalog import iso7, iso_millis
from correlator.simulate.tenant import User, guid


def ticket(
    rng: random.Random,
    at: int,
    target: User,
    agent: User,
    action: str,
    caller: str,
    verification: str,
    channel: str = "phone",
    verified: bool = True,
) -> dict[str, Any]:
    """An ITSM credential-change event (schemas/helpdesk-credential-change.schema.json)."""
    return {
        "type": "helpdesk.credential_change",
        "id": guid(rng),
        "time": iso_millis(at),
        "target_user": target.upn,
        "agent": agent.upn,
        "action": action,
        "ticket_id": f"INC{rng.randrange(10**6, 10**7):07d}",
        "caller_number": caller,
        "caller_verified": verified,
        "verification_method": verification,
        "channel": channel,
        "privileged_target": target.privileged,
    }


def pstn_call(
    rng: random.Random, start: int, callee: User, caller: str, seconds: int
) -> dict[str, Any]:
    """An inbound PSTN call to a user (``callType`` user_in) as getPstnCalls lists it."""
    country = callee.site.office_v4.place.country
    # The SIP host in callId is Microsoft's PSTN gateway: an address our Microsoft range covers.
    host = f"198.51.100.{rng.randrange(2, 120)}"
    return {
        "id": guid(rng),
        "callId": f"{rng.randrange(10**9, 10**10)}_{rng.randrange(10**8, 10**9)}@{host}",
        "userId": callee.id,
        "userPrincipalName": callee.upn,
        "userDisplayName": callee.name,
        "startDateTime": iso7(start, rng),
        "endDateTime": iso7(start + seconds * 1000, rng),
        "duration": seconds,
        "charge": 0.0,
        "callType": "user_in",
        "currency": "USD",
        "calleeNumber": callee.did,
        "usageCountryCode": country,
        "tenantCountryCode": "US",
        "connectionCharge": 0.0,
        "callerNumber": caller,
        "destinationContext": None,
        "destinationName": _COUNTRY_NAMES.get(country, country),
        "conferenceId": None,
        "licenseCapability": "MCOPSTNU",
        "inventoryType": "Subscriber",
        "operator": "Microsoft",
        "callDurationSource": "microsoft",
    }


_COUNTRY_NAMES = {
    "US": "United States",
    "GB": "United Kingdom",
    "DE": "Germany",
    "AU": "Australia",
}
