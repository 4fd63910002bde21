"""User identity normalisation: every source's user reference becomes one key.

A person appears under many names: a sign-in may carry only the object id, a helpdesk ticket
the e-mail address, an audit record the UPN. The canonical key is the lower-cased UPN. Aliases
come from two layers: the static ``aliases`` of the configuration, and the directory (object
id, mail, proxy addresses, employee id of every user), which a background sync replaces whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

# proxyAddresses entries are "SMTP:primary@…", "smtp:alias@…", "SIP:…"; X500 and others are
# not addresses a log would carry.
_ADDRESS_PREFIXES = ("smtp:", "sip:")


def normalize_identity(value: str | None) -> str | None:
    """Lower-case and trim a UPN, e-mail address or object id; ``None`` for empty values."""
    if value is None:
        return None
    text = value.strip().lower()
    return text or None


@dataclass(frozen=True)
class DirectoryUser:
    object_id: str
    upn: str
    mail: str | None = None
    proxy_addresses: tuple[str, ...] = ()
    employee_id: str | None = None

    def names(self) -> Iterator[str]:
        """Every name this user may appear under, besides the UPN itself."""
        yield self.object_id
        if self.mail:
            yield self.mail
        if self.employee_id:
            yield self.employee_id
        for address in self.proxy_addresses:
            kind, sep, rest = address.partition(":")
            if sep and f"{kind.lower()}:" in _ADDRESS_PREFIXES:
                yield rest


def directory_aliases(users: Iterable[DirectoryUser]) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for user in users:
        canonical = normalize_identity(user.upn)
        if canonical is None:
            continue
        for name in user.names():
            key = normalize_identity(name)
            if key and key != canonical:
                aliases[key] = canonical
    return aliases


class AliasMap:
    """Maps object ids, employee ids and e-mail addresses onto the canonical (UPN) key."""

    def __init__(self, aliases: Mapping[str, str] | None = None) -> None:
        self._aliases: dict[str, str] = {}
        self._directory: dict[str, str] = {}
        for alias, canonical in (aliases or {}).items():
            self.add(alias, canonical)

    def add(self, alias: str, canonical: str) -> None:
        key, value = normalize_identity(alias), normalize_identity(canonical)
        if key and value:
            self._aliases[key] = value

    def set_directory(self, aliases: Mapping[str, str]) -> None:
        """Replace the directory layer in one assignment, so a concurrent ``resolve`` sees the
        old map or the new one, never a mix. The static aliases take precedence."""
        self._directory = dict(aliases)

    def resolve(self, identity: str) -> str:
        found = self._aliases.get(identity)
        if found is not None:
            return found
        return self._directory.get(identity, identity)

    def __len__(self) -> int:
        return len(self._aliases) + len(self._directory)


class PrivilegedUsers:
    """Users holding privileged roles: the configured list plus the directory's holders."""

    def __init__(self, static: Iterable[str] = ()) -> None:
        self._static = frozenset(k for k in map(normalize_identity, static) if k)
        self._directory: frozenset[str] = frozenset()

    def set_directory(self, users: Iterable[str]) -> None:
        self._directory = frozenset(k for k in map(normalize_identity, users) if k)

    def __contains__(self, user: object) -> bool:
        return user in self._static or user in self._directory

    def __len__(self) -> int:
        return len(self._static | self._directory)


@dataclass(frozen=True)
class Identities:
    """The live identity view that the normalizer and the engine of one process share."""

    aliases: AliasMap
    privileged: PrivilegedUsers

    @classmethod
    def static(cls, aliases: Mapping[str, str], privileged: Iterable[str]) -> Identities:
        return cls(AliasMap(aliases), PrivilegedUsers(privileged))
