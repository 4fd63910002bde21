"""Directory sync: who is who (identity map) and who holds privileged roles, from Graph.

Users come from the ``users`` delta query: the first sync reads every user, later ones only
the changes since the delta link (``@removed`` entries drop a user). Privileged holders are the
principals of role assignments whose role definition Graph marks ``isPrivileged`` (or, where
a cloud does not expose that flag yet, one of the well-known privileged built-in roles).

``DirectoryCache`` keeps the result in the state store with a TTL, so the replicas of a
deployment share one sync, and swaps it into the live ``Identities`` of the process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from correlator.connectors.graph import GraphClient, GraphError
from correlator.errors import CorrelatorError
from correlator.identity import DirectoryUser, Identities, directory_aliases
from correlator.state import StateStore

log = logging.getLogger(__name__)

USERS_DELTA = "/v1.0/users/delta"
USER_FIELDS = "id,userPrincipalName,mail,proxyAddresses,employeeId"
ROLE_DEFINITIONS = "/v1.0/roleManagement/directory/roleDefinitions"
ROLE_ASSIGNMENTS = "/v1.0/roleManagement/directory/roleAssignments"
GROUPS = "/v1.0/groups"
CACHE_KEY = "directory"

# Template ids of built-in roles that can reset credentials, grant roles or change
# authentication policy: used when a role definition carries no isPrivileged flag.
PRIVILEGED_TEMPLATES = frozenset(
    {
        "62e90394-69f5-4237-9190-012177145e10",  # Global Administrator
        "e8611ab8-c189-46e8-94e1-60213ab1f814",  # Privileged Role Administrator
        "7be44c8a-adaf-4e2a-84d6-ab2649e08a13",  # Privileged Authentication Administrator
        "c4e39bd9-1100-46d3-8c65-fb160da0071f",  # Authentication Administrator
        "194ae4cb-b126-40b2-bd5b-6091b380977d",  # Security Administrator
        "fe930be7-5e62-47db-91af-98c3a49a38b1",  # User Administrator
        "729827e3-9c14-49f7-bb1b-9608f156bbb8",  # Helpdesk Administrator
        "966707d0-3269-4727-9be2-8c3a10f19b9d",  # Password Administrator
        "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2",  # Hybrid Identity Administrator
        "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",  # Conditional Access Administrator
        "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3",  # Application Administrator
        "158c047a-c907-4556-b7ef-446551a6b5f7",  # Cloud Application Administrator
        "29232cdf-9323-42fd-ade2-1d097af3e4de",  # Exchange Administrator
        "f28a1f50-f6e7-4571-818b-6a12f2af6b6c",  # SharePoint Administrator
        "3a2c62db-5318-420d-8d74-23affee5d9d5",  # Intune Administrator
    }
)


@dataclass
class Snapshot:
    """The directory as last synced: users by object id, privileged object ids, delta link."""

    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    privileged_ids: set[str] = field(default_factory=set)
    delta_link: str | None = None

    def to_bytes(self) -> bytes:
        return orjson.dumps(
            {
                "users": self.users,
                "privileged_ids": sorted(self.privileged_ids),
                "delta_link": self.delta_link,
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes) -> Snapshot:
        doc = orjson.loads(data)
        return cls(doc["users"], set(doc["privileged_ids"]), doc.get("delta_link"))

    def directory_users(self) -> list[DirectoryUser]:
        out = []
        for object_id, user in self.users.items():
            upn = user.get("userPrincipalName")
            if not isinstance(upn, str) or not upn:
                continue
            proxies = user.get("proxyAddresses") or ()
            out.append(
                DirectoryUser(
                    object_id=object_id,
                    upn=upn,
                    mail=user.get("mail") if isinstance(user.get("mail"), str) else None,
                    proxy_addresses=tuple(p for p in proxies if isinstance(p, str)),
                    employee_id=_text(user.get("employeeId")),
                )
            )
        return out

    def privileged_upns(self) -> set[str]:
        return {
            str(self.users[i]["userPrincipalName"]).lower()
            for i in self.privileged_ids
            if isinstance(self.users.get(i, {}).get("userPrincipalName"), str)
        }


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def sync(client: GraphClient, previous: Snapshot | None = None) -> Snapshot:
    """A new snapshot: the users delta since ``previous`` (all users when there is none, or
    when Graph no longer knows its delta link) and the current privileged role holders."""
    users: dict[str, dict[str, Any]] = {}
    link = None
    if previous is not None and previous.delta_link:
        users, link = {k: dict(v) for k, v in previous.users.items()}, previous.delta_link
    try:
        delta_link = _read_users(client, users, link)
    except GraphError as exc:
        if link is None or exc.status not in (400, 410):
            raise
        log.warning("directory delta link expired (%s): reading every user again", exc)
        users = {}
        delta_link = _read_users(client, users, None)
    return Snapshot(users, _privileged_ids(client, users), delta_link)


def _read_users(client: GraphClient, users: dict[str, dict[str, Any]], link: str | None) -> str:
    pages = client.pages(link) if link else client.pages(USERS_DELTA, {"$select": USER_FIELDS})
    delta_link = None
    for page in pages:
        for record in page.records:
            object_id = _text(record.get("id"))
            if object_id is None:
                continue
            if "@removed" in record:
                users.pop(object_id, None)
            else:
                merged = users.setdefault(object_id, {})
                merged.update({k: v for k, v in record.items() if not k.startswith("@")})
        delta_link = page.delta_link or delta_link
    if delta_link is None:
        raise GraphError("the users delta query ended without an @odata.deltaLink")
    return delta_link


def _privileged_ids(client: GraphClient, users: Mapping[str, object]) -> set[str]:
    """Users holding a privileged role, directly or through a role-assignable group."""
    roles = _privileged_roles(client)
    holders: set[str] = set()
    for page in client.pages(ROLE_ASSIGNMENTS, {"$select": "principalId,roleDefinitionId"}):
        for assignment in page.records:
            principal = _text(assignment.get("principalId"))
            if principal is None or assignment.get("roleDefinitionId") not in roles:
                continue
            if principal in users:
                holders.add(principal)
            else:
                holders.update(_group_users(client, principal))
    return holders


def _privileged_roles(client: GraphClient) -> set[str]:
    roles: set[str] = set()
    for page in client.pages(ROLE_DEFINITIONS, {"$select": "id,templateId,isPrivileged"}):
        for role in page.records:
            flagged = role.get("isPrivileged")
            template = role.get("templateId") or role.get("id")
            if flagged is True or (flagged is None and template in PRIVILEGED_TEMPLATES):
                roles.update(str(x) for x in (role.get("id"), template) if x)
    return roles


def _group_users(client: GraphClient, principal: str) -> set[str]:
    """The users in a group (nested groups included); nothing when the principal is not a
    group (a service principal holding the role)."""
    path = f"{GROUPS}/{principal}/transitiveMembers/microsoft.graph.user"
    try:
        return {
            str(member["id"])
            for page in client.pages(path, {"$select": "id"})
            for member in page.records
            if _text(member.get("id"))
        }
    except GraphError as exc:
        if exc.status == 404:
            return set()
        raise


@dataclass
class DirectoryCache:
    """Loads the snapshot from the store, or syncs from Graph when the cached one expired."""

    store: StateStore
    identities: Identities
    fetch: Callable[[Snapshot | None], Snapshot] | None
    ttl_ms: int = 6 * 3_600_000
    last: Snapshot | None = None

    def refresh(self) -> bool:
        """Whether a snapshot is in force after this call; a failed sync keeps the last one."""
        cached = self.store.get_many([CACHE_KEY]).get(CACHE_KEY)
        snapshot = Snapshot.from_bytes(cached) if cached else None
        if snapshot is None and self.fetch is not None:
            try:
                snapshot = self.fetch(self.last)
            except (CorrelatorError, OSError) as exc:
                log.warning("directory sync failed, keeping the previous directory: %s", exc)
                return self.last is not None
            self.store.write_batch({CACHE_KEY: snapshot.to_bytes()}, ttl_ms=self.ttl_ms)
        if snapshot is None:
            return self.last is not None
        self._apply(snapshot)
        return True

    def _apply(self, snapshot: Snapshot) -> None:
        self.identities.aliases.set_directory(directory_aliases(snapshot.directory_users()))
        self.identities.privileged.set_directory(snapshot.privileged_upns())
        self.last = snapshot
        log.info(
            "directory: %d users, %d privileged",
            len(snapshot.users),
            len(snapshot.privileged_ids),
        )

    def run(self, stop: threading.Event, interval_s: float) -> None:
        while not stop.wait(interval_s):
            try:
                self.refresh()
            except CorrelatorError as exc:  # the store is down: the next round tries again
                log.warning("directory refresh failed: %s", exc)
