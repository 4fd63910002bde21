"""User identity normalisation: every source's user reference becomes one key."""

from __future__ import annotations

from collections.abc import Mapping


def normalize_identity(value: str | None) -> str | None:
    """Lower-case and trim a UPN, e-mail address or object id; ``None`` for empty values."""
    if value is None:
        return None
    text = value.strip().lower()
    return text or None


class AliasMap:
    """Maps object ids, employee ids and e-mail addresses onto the canonical (UPN) key."""

    def __init__(self, aliases: Mapping[str, str] | None = None) -> None:
        self._aliases: dict[str, str] = {}
        for alias, canonical in (aliases or {}).items():
            self.add(alias, canonical)

    def add(self, alias: str, canonical: str) -> None:
        key, value = normalize_identity(alias), normalize_identity(canonical)
        if key and value:
            self._aliases[key] = value

    def resolve(self, identity: str) -> str:
        return self._aliases.get(identity, identity)

    def __len__(self) -> int:
        return len(self._aliases)
