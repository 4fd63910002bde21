"""Which Entra audit activities are credential changes, and of which kind.

Activity names are matched case-insensitively after trimming (exporters add trailing spaces and
dots). Names follow the Entra audit activity reference and observed records; the ones marked
"unverified" come from the team's brief and are kept so that such records, should they occur,
are not silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from correlator.sources.fields import arr

# Kinds decided by the activity name alone. Password activities are refined later: the same
# activity is a self-service reset when the initiator is the target (see audit.py).
_BY_NAME: dict[str, str] = {
    "reset password (by admin)": "password_reset",  # SSPR service, admin portal reset
    "reset user password": "password_reset",  # Core Directory
    "change user password": "password_reset",  # Core Directory; by the user -> self-service
    "admin started password reset": "password_reset",  # unverified
    "reset password (self-service)": "self_service_reset",
    "change password (self-service)": "self_service_reset",
    "admin deleted security info": "mfa_method_removed",
    "user deleted security info": "mfa_method_removed",
    "disable strong authentication": "mfa_reset",  # per-user MFA switched off
    "delete all registered authentication methods": "mfa_reset",  # unverified
    "admin deleted all security info": "mfa_reset",  # unverified
}
_REGISTERED = frozenset(
    {
        "admin registered security info",
        "user registered security info",
        "user registered all required security info",
    }
)
_UPDATED = frozenset(
    {
        "admin updated security info",
        "user changed default security info",
        "user updated security info",
    }
)
_UPDATE_USER = "update user"
_STRONG_AUTH_LISTS = ("StrongAuthenticationMethod", "StrongAuthenticationPhoneAppDetail")
_STRONG_AUTH_DETAILS = "StrongAuthenticationUserDetails"
_PHONE_KEYS = ("PhoneNumber", "AlternativePhoneNumber", "VoiceOnlyPhoneNumber")
PASSWORD_KINDS = frozenset({"password_reset", "self_service_reset"})

# (substring of the lower-cased evidence text, method name), most specific first.
_METHOD_WORDS: tuple[tuple[str, str], ...] = (
    ("temporary access pass", "tap"),
    ("temporaryaccesspass", "tap"),
    ("authenticator", "authenticator"),
    ("phoneappdetail", "authenticator"),
    ("fido", "fido2"),
    ("passkey", "fido2"),
    ("windows hello", "windows_hello"),
    ("oath", "oath"),
    ("phone", "phone"),
    ("sms", "phone"),
    ("email", "email"),
    ("security question", "security_questions"),
    ("password", "password"),
)


def classify(activity: str, targets: list[Any], evidence: str) -> tuple[str, str | None] | None:
    """``(kind, method)`` for a credential-change activity, None for anything else.

    ``evidence`` is the lower-cased text of resultReason, additional details and modified
    property names: where Entra says which method an admin registered or changed.
    """
    name = activity.strip().rstrip(".").lower()
    method = method_from(evidence)
    if name in _REGISTERED:
        return ("temporary_access_pass" if method == "tap" else "mfa_method_added"), method
    if name in _UPDATED:
        if method == "tap":
            return "temporary_access_pass", method
        return ("phone_changed" if method == "phone" else "mfa_method_added"), method
    kind = _BY_NAME.get(name)
    if kind is not None:
        return kind, ("password" if kind in PASSWORD_KINDS else method)
    if name == _UPDATE_USER:
        return _strong_auth_change(_modified_properties(targets))
    return None


def method_from(evidence: str) -> str | None:
    for word, method in _METHOD_WORDS:
        if word in evidence:
            return method
    return None


def _modified_properties(targets: list[Any]) -> Iterable[Mapping[str, Any]]:
    for target in targets[:16]:
        if isinstance(target, Mapping):
            for prop in arr(target.get("modifiedProperties"), "modifiedProperties")[:64]:
                if isinstance(prop, Mapping):
                    yield prop


def _strong_auth_change(props: Iterable[Mapping[str, Any]]) -> tuple[str, str | None] | None:
    """ "Update user" matters only when it rewrites the legacy MFA attributes."""
    found: list[tuple[str, str | None]] = []
    for prop in props:
        name = prop.get("displayName")
        old, new = _json_list(prop.get("oldValue")), _json_list(prop.get("newValue"))
        if name in _STRONG_AUTH_LISTS:
            method = "authenticator" if name == _STRONG_AUTH_LISTS[1] else None
            if old and len(new) < len(old):
                found.append(("mfa_reset", method))  # methods wiped or cut: re-registration
            elif _added(old, new):
                found.append(("mfa_method_added", method))
        elif name == _STRONG_AUTH_DETAILS and _phones(old) != _phones(new):
            found.append(("phone_changed", "phone"))
    for kind in ("mfa_reset", "phone_changed", "mfa_method_added"):
        for change in found:
            if change[0] == kind:
                return change
    return None


def _json_list(value: object) -> list[Any]:
    if isinstance(value, str) and value[:1] == '"' and len(value) <= 65536:
        try:  # modifiedProperties values are JSON, sometimes a JSON string of JSON
            value = orjson.loads(value)
        except orjson.JSONDecodeError:
            return []
    return arr(value, "modifiedProperties.value")


def _added(old: list[Any], new: list[Any]) -> bool:
    def keys(items: list[Any]) -> set[str]:
        return {
            str(item.get("MethodType", item.get("Id", item)))
            if isinstance(item, Mapping)
            else str(item)
            for item in items[:64]
        }

    return len(new) > len(old) or bool(keys(new) - keys(old))


def _phones(details: list[Any]) -> tuple[object, ...]:
    first = details[0] if details and isinstance(details[0], Mapping) else {}
    return tuple(first.get(key) for key in _PHONE_KEYS)
