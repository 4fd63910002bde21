"""Our own ITSM event: a helpdesk agent changed a credential (``helpdesk.credential_change``).

The shape is defined by ``schemas/helpdesk-credential-change.schema.json``; this module checks
the same rules by hand so the hot path needs no schema library.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from correlator.errors import InvalidRecord
from correlator.identity import normalize_identity
from correlator.model import CREDENTIAL_KINDS, CredentialChange
from correlator.sources.fields import phone, text
from correlator.sources.reasons import INVALID_FIELD, MISSING_FIELD, MISSING_USER
from correlator.sources.timeparse import parse_time

# A ticket records what the helpdesk did: every kind but the user's own self-service reset.
ACTIONS = frozenset(CREDENTIAL_KINDS) - {"self_service_reset"}
VERIFICATION_METHODS = frozenset(
    {"callback", "manager_approval", "employee_id", "security_questions", "video", "none"}
)
CHANNELS = frozenset({"phone", "chat", "walk_in", "portal", "email"})


def helpdesk_ticket(record: Mapping[str, Any]) -> CredentialChange:
    time = parse_time(record.get("time"), "time")
    user = normalize_identity(text(record.get("target_user"), "target_user"))
    if user is None:
        raise InvalidRecord(MISSING_USER, "no target_user", field="target_user")
    event_id = _required(record, "id")
    channel = _choice(record, "channel", CHANNELS)
    return CredentialChange(
        id=event_id,
        time=time,
        user=user,
        kind=_choice(record, "action", ACTIONS, required=True),  # type: ignore[arg-type]
        source="ticket",
        actor=normalize_identity(text(record.get("agent"), "agent")),
        actor_kind="helpdesk",
        by_other=True,
        activity=f"helpdesk ticket ({channel.replace('_', '-')})" if channel else "helpdesk ticket",
        method=text(record.get("method"), "method"),
        ticket_id=text(record.get("ticket_id"), "ticket_id"),
        caller_number=phone(record.get("caller_number"), "caller_number"),
        caller_verified=_flag(record, "caller_verified"),
        verification_method=_choice(record, "verification_method", VERIFICATION_METHODS),
        channel=channel,
        privileged_target=_flag(record, "privileged_target") or False,
        source_format="helpdesk",
    )


def _required(record: Mapping[str, Any], field: str) -> str:
    value = text(record.get(field), field)
    if value is None:
        raise InvalidRecord(MISSING_FIELD, f"{field} is required", field=field)
    return value


def _choice(
    record: Mapping[str, Any], field: str, allowed: frozenset[str], required: bool = False
) -> str | None:
    value = text(record.get(field), field)
    if value is None:
        if required:
            raise InvalidRecord(MISSING_FIELD, f"{field} is required", field=field)
        return None
    if value not in allowed:
        raise InvalidRecord(
            INVALID_FIELD, f"{value[:40]!r} is not one of {sorted(allowed)}", field=field
        )
    return value


def _flag(record: Mapping[str, Any], field: str) -> bool | None:
    value = record.get(field)
    if value is None or isinstance(value, bool):
        return value
    raise InvalidRecord(INVALID_FIELD, "expected true or false", field=field)
