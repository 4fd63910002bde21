"""The stable reject reasons of the sources layer.

They are metric labels and dead-letter headers, so the set stays small and a code never changes
meaning. Every ``InvalidRecord`` raised by ``correlator.sources`` carries one of these.

``malformed_json``
    The bytes are not JSON (nor JSON lines, nor Graph docs JSON with trailing commas).
``not_an_object``
    A record that is not a JSON object (a bare string, number, list...).
``unknown_format``
    An object whose shape matches no supported source.
``unsupported_category``
    An Azure Monitor / Log Analytics record of a category we do not consume (Logic Apps
    ``WorkflowRuntime``, ``ProvisioningLogs``, ``RiskyUsers``...).
``missing_time``
    No event time at all.
``invalid_time``
    A time that does not parse, a sentinel (``0001-01-01``) or outside 1990-2100.
``missing_user``
    No usable user (sign-in subject, audit target, call callee, ticket target).
``placeholder_value``
    The user is only a documentation placeholder such as ``<USER ID>``.
``missing_field``
    A required field other than time and user is absent (audit activity, ticket action...).
``invalid_field``
    A field has the wrong type or an unknown value (``status`` a number, ``action`` unknown).
``irrelevant_activity``
    A valid audit record that is not a credential change ("Add member to group"). Not a data
    error, but reported so that consumed = events + rejects.
``failed_operation``
    A credential-change audit record whose result is a failure: nothing changed.
``service_principal``
    A sign-in of a service principal or managed identity: there is no user to protect.
``too_large``
    A key field (or the whole payload) exceeds the size we accept.

Ignored, not dead (``IGNORED``): ``irrelevant_activity``, ``unsupported_category``,
``service_principal`` and ``failed_operation`` name valid records that carry nothing for
correlator (routine audit activities, other services' logs sharing an event hub, workload
sign-ins). They are the bulk of a real tenant's logs: the stream counts them in
``correlator_ignored_records_total{reason}`` and skips them, and replay lists them apart from
the rejects, so the dead-letter topic holds only records that need someone's attention.
"""

from __future__ import annotations

MALFORMED_JSON = "malformed_json"
NOT_AN_OBJECT = "not_an_object"
UNKNOWN_FORMAT = "unknown_format"
UNSUPPORTED_CATEGORY = "unsupported_category"
MISSING_TIME = "missing_time"
INVALID_TIME = "invalid_time"
MISSING_USER = "missing_user"
PLACEHOLDER_VALUE = "placeholder_value"
MISSING_FIELD = "missing_field"
INVALID_FIELD = "invalid_field"
IRRELEVANT_ACTIVITY = "irrelevant_activity"
FAILED_OPERATION = "failed_operation"
SERVICE_PRINCIPAL = "service_principal"
TOO_LARGE = "too_large"

REASONS: frozenset[str] = frozenset(
    {
        MALFORMED_JSON,
        NOT_AN_OBJECT,
        UNKNOWN_FORMAT,
        UNSUPPORTED_CATEGORY,
        MISSING_TIME,
        INVALID_TIME,
        MISSING_USER,
        PLACEHOLDER_VALUE,
        MISSING_FIELD,
        INVALID_FIELD,
        IRRELEVANT_ACTIVITY,
        FAILED_OPERATION,
        SERVICE_PRINCIPAL,
        TOO_LARGE,
    }
)

IGNORED: frozenset[str] = frozenset(
    {IRRELEVANT_ACTIVITY, UNSUPPORTED_CATEGORY, SERVICE_PRINCIPAL, FAILED_OPERATION}
)


def is_ignored(error: BaseException) -> bool:
    """Whether a refused record is a valid one that is merely of no use here."""
    return getattr(error, "reason", None) in IGNORED
