"""Validate alerts against ``schemas/alert.schema.json``: import ``validate_alert`` in any test
that produces alerts, so every alert the suite sees is checked against the published contract.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "alert.schema.json"
_MAX_ERRORS = 10


class AlertSchemaError(AssertionError):
    """An alert broke the schema; the message lists each violation with its JSON path."""


@cache
def alert_validator() -> Draft202012Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def validate_alert(obj: dict[str, object]) -> None:
    """Raise ``AlertSchemaError`` naming every violation (up to ten) if ``obj`` is invalid."""
    errors = sorted(alert_validator().iter_errors(obj), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    lines = [f"alert violates {SCHEMA_PATH.name} ({len(errors)} error(s)):"]
    lines += [f"  {_where(error)}: {_what(error)}" for error in errors[:_MAX_ERRORS]]
    if len(errors) > _MAX_ERRORS:
        lines.append(f"  ... and {len(errors) - _MAX_ERRORS} more")
    raise AlertSchemaError("\n".join(lines))


def _where(error: ValidationError) -> str:
    return str(error.json_path)


def _what(error: ValidationError) -> str:
    message = str(error.message)
    # anyOf/oneOf failures hide the useful reasons in their sub-errors: list them.
    if error.context:
        reasons = list(dict.fromkeys(sub.message for sub in error.context))
        message = f"{error.validator} failed; wanted one of: " + "; ".join(reasons[:8])
    return message if len(message) <= 400 else message[:397] + "..."
