"""Graph records in the v1.0 wire shape, numbered so every one is recognisable on a topic."""

from __future__ import annotations

from typing import Any

BASE = "2026-11-30T08:00:00"


def at(second: int) -> str:
    """An ISO time ``second`` seconds after 08:00, with Graph's seven fractional digits."""
    hours, rest = divmod(second, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"2026-11-30T{8 + hours:02d}:{minutes:02d}:{seconds:02d}.1234567Z"


def signin(n: int, second: int, user: str = "adele.vance@contoso.example") -> dict[str, Any]:
    return {
        "id": f"5f1e7c2a-0000-4000-8000-{n:012d}",
        "createdDateTime": at(second),
        "userDisplayName": "Adele Vance",
        "userPrincipalName": user,
        "userId": "d3a3b0c4-6f0b-4b6e-9a4e-6f6b1d2c3e4f",
        "appId": "4765445b-32c6-49b0-83e6-1d93765276ca",
        "appDisplayName": "OfficeHome",
        "ipAddress": "203.0.113.10",
        "clientAppUsed": "Browser",
        "conditionalAccessStatus": "success",
        "isInteractive": True,
        "riskLevelAggregated": "none",
        "riskState": "none",
        "status": {"errorCode": 0, "failureReason": "Other."},
        "deviceDetail": {
            "deviceId": "",
            "displayName": "",
            "operatingSystem": "Windows 10",
            "browser": "Edge 131.0.0",
            "isCompliant": False,
            "isManaged": False,
            "trustType": "",
        },
        "location": {
            "city": "Seattle",
            "state": "Washington",
            "countryOrRegion": "US",
            "geoCoordinates": {"latitude": 47.6, "longitude": -122.3},
        },
    }


def audit(n: int, second: int, target: str = "adele.vance@contoso.example") -> dict[str, Any]:
    return {
        "id": f"Directory_{n:08d}",
        "category": "UserManagement",
        "correlationId": f"c0ffee00-0000-4000-8000-{n:012d}",
        "result": "success",
        "activityDisplayName": "Reset user password",
        "activityDateTime": at(second),
        "loggedByService": "Core Directory",
        "operationType": "Update",
        "initiatedBy": {
            "user": {
                "id": "0b4a1c2d-0000-4000-8000-0000000000aa",
                "userPrincipalName": "helpdesk.agent@contoso.example",
            }
        },
        "targetResources": [
            {
                "id": "d3a3b0c4-6f0b-4b6e-9a4e-6f6b1d2c3e4f",
                "type": "User",
                "userPrincipalName": target,
                "modifiedProperties": [],
            }
        ],
        "additionalDetails": [],
    }
