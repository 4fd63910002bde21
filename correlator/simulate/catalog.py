"""Constants of the Graph sign-in and audit formats, and Graph's timestamp format."""

from __future__ import annotations

import random
import time

from correlator.simulate.tenant import Device

# name: (appDisplayName, appId, resourceDisplayName, resourceId, clientAppUsed); public app ids.
APPS: dict[str, tuple[str, str, str, str, str]] = {
    "officehome": ("OfficeHome", "4765445b-32c6-49b0-83e6-1d93765276ca", "OfficeHome",
                   "4765445b-32c6-49b0-83e6-1d93765276ca", "Browser"),
    "teams": ("Microsoft Teams", "1fec8e78-bce4-4aaf-ab1b-5451cc387264",
              "Microsoft Teams Services", "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe",
              "Mobile Apps and Desktop clients"),
    "office": ("Microsoft Office", "d3590ed6-52b3-4102-aeff-aad2292ab01c",
               "Office 365 Exchange Online", "00000002-0000-0ff1-ce00-000000000000",
               "Mobile Apps and Desktop clients"),
    "outlook": ("Microsoft Outlook", "27922004-5251-4030-b22d-91ecd9a37ea4",
                "Office 365 Exchange Online", "00000002-0000-0ff1-ce00-000000000000",
                "Mobile Apps and Desktop clients"),
    "onedrive": ("OneDrive SyncEngine", "ab9b8c07-8f02-4f72-87fa-80105867a763",
                 "Office 365 SharePoint Online", "00000003-0000-0ff1-ce00-000000000000",
                 "Mobile Apps and Desktop clients"),
    "exchange": ("Office 365 Exchange Online", "00000002-0000-0ff1-ce00-000000000000",
                 "Microsoft Graph", "00000003-0000-0000-c000-000000000000",
                 "Mobile Apps and Desktop clients"),
    "mysignins": ("My Signins", "19db86c3-b2b9-44cc-b339-36da233a3be2", "Microsoft Graph",
                  "00000003-0000-0000-c000-000000000000", "Browser"),
    "portal": ("Azure Portal", "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
               "Windows Azure Service Management API", "797f4846-ba00-4fd7-ba43-dac1f8f63013",
               "Browser"),
}  # fmt: skip
ERRORS: dict[int, str] = {
    0: "Other.",
    50126: "Error validating credentials due to invalid username or password.",
    53003: "Access has been blocked by Conditional Access policies. The access policy does not "
    "allow token issuance.",
    50074: "Strong Authentication is required.",
    500121: "Authentication failed during strong authentication request.",
}
# method: (authenticationMethodDetail, step requirement, result detail on success, mfaDetail)
METHODS: dict[str, tuple[str | None, str, str, str | None]] = {
    "Password": ("Password in the cloud", "Primary authentication", "Correct password", None),
    "Previously satisfied": (None, "Primary authentication",
                             "First factor requirement satisfied by claim in the token", None),
    "Windows Hello for Business": ("Windows Hello for Business", "Primary authentication",
                                   "MFA requirement satisfied by claim in the token", None),
    "Mobile app notification": (None, "Multi-factor authentication",
                                "MFA successfully completed", "PhoneAppNotification"),
    "Text message": (None, "Multi-factor authentication", "MFA successfully completed",
                     "OneWaySMS"),
    "Temporary Access Pass": ("Temporary Access Pass", "Primary authentication",
                              "Temporary Access Pass validated", "Temporary Access Pass"),
}  # fmt: skip
STRONG = {"Windows Hello for Business", "Mobile app notification", "Text message",
          "Temporary Access Pass"}  # fmt: skip
UNREGISTERED = Device("", "", "Windows 10", "Chrome 130.0.0", "", False, False, "laptop",
                      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, "
                      "like Gecko) Chrome/130.0.0.0 Safari/537.36")  # fmt: skip


def iso7(ms: int, rng: random.Random) -> str:
    """Graph's timestamp: UTC, seven fractional digits, ``Z``; sub-millisecond digits random."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000))
    return f"{stamp}.{ms % 1000:03d}{rng.randrange(10000):04d}Z"


def iso_seconds(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms // 1000))


def iso_millis(ms: int) -> str:
    return f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(ms // 1000))}.{ms % 1000:03d}Z"
