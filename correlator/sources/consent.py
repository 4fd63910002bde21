"""Entra "Consent to application" audit records onto ``AppConsent``.

The consenting user is the initiator; the target is the application's service principal. The
granted scopes and whether it was an admin consent are in the target's modified properties
(``ConsentAction.Permissions``: "... Scope: openid Mail.Read offline_access, CreatedDateTime: ...";
``ConsentContext.IsAdminConsent``: "True").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from correlator.errors import InvalidRecord
from correlator.model import AppConsent
from correlator.sources.fields import arr, obj, resolve_user, text
from correlator.sources.reasons import MISSING_USER

CONSENT_ACTIVITY = "consent to application"
_SCOPE = re.compile(r"Scope:\s*([^,\]]*)")
MAX_SCOPES = 64


def is_consent(activity: str) -> bool:
    return activity.strip().rstrip(".").lower() == CONSENT_ACTIVITY


def consent_from_graph(
    a: Mapping[str, Any], *, record_id: str, time: int, targets: list[Any], source_format: str
) -> AppConsent:
    initiator = obj(obj(a.get("initiatedBy"), "initiatedBy").get("user"), "initiatedBy.user")
    user, _, _ = resolve_user(initiator.get("userPrincipalName"), initiator.get("id"))
    if not user:
        raise InvalidRecord(MISSING_USER, "consent without a consenting user", field="initiatedBy")
    app = next((t for t in targets[:8] if isinstance(t, Mapping)), {})
    props = {
        p.get("displayName"): p.get("newValue")
        for p in arr(app.get("modifiedProperties"), "modifiedProperties")[:64]
        if isinstance(p, Mapping)
    }
    permissions = _scopes(props.get("ConsentAction.Permissions"))
    admin = str(props.get("ConsentContext.IsAdminConsent") or "").strip('" ').lower() == "true"
    return AppConsent(
        id=record_id,
        time=time,
        user=user,
        app=text(app.get("displayName"), "targetResources.displayName"),
        app_id=text(app.get("id"), "targetResources.id"),
        permissions=permissions,
        admin_consent=admin,
        source_format=source_format,
    )


def _scopes(value: object) -> tuple[str, ...]:
    if not isinstance(value, str):
        return ()
    found: list[str] = []
    for match in _SCOPE.finditer(value[:65536]):
        found += match.group(1).split()
    return tuple(dict.fromkeys(found))[:MAX_SCOPES]
