"""The three response actions as Microsoft Graph calls (v1.0).

- revoke sessions: ``POST /users/{id}/revokeSignInSessions`` (``User.RevokeSessions.All``);
  refresh tokens and session cookies stop working, so the attacker must sign in again;
- confirm compromised: ``POST /identityProtection/riskyUsers/confirmCompromised`` with
  ``{"userIds": [id]}`` (``IdentityRiskyUser.ReadWrite.All``): user risk becomes high, so
  risk-based Conditional Access demands a secure password change;
- disable the account: ``PATCH /users/{id}`` ``{"accountEnabled": false}``
  (``User.EnableDisableAccount.All``, or ``User.ReadWrite.All``).

confirmCompromised takes object ids only, so a UPN is resolved first (``GET /users/{upn}``,
which needs ``User.Read.All``). Each action's result is a word, never an exception: ``done``,
``forbidden`` (403: permission or role missing), ``not_found`` (404), ``unavailable``
(throttled or 5xx beyond the client's retries, or no token) or ``failed``.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from correlator.connectors.graph import GraphClient, GraphError
from correlator.errors import CorrelatorError, TransientError
from correlator.respond.policy import Action, Subject
from correlator.sources.fields import looks_like_guid

_RESULTS = {403: "forbidden", 404: "not_found", 401: "forbidden"}


class GraphActions:
    def __init__(self, client: GraphClient, version: str = "v1.0") -> None:
        self.client = client
        self.version = version
        self._calls: dict[Action, Callable[[str], None]] = {
            "revoke_sessions": self.revoke_sessions,
            "confirm_compromised": self.confirm_compromised,
            "disable_account": self.disable_account,
        }

    def run(self, actions: tuple[Action, ...], subject: Subject) -> dict[str, str]:
        """Each action once, in order; a failed one does not stop the next."""
        try:
            object_id = self.object_id(subject)
        except CorrelatorError as exc:
            return dict.fromkeys(actions, _result(exc))
        results: dict[str, str] = {}
        for action in actions:
            try:
                self._calls[action](object_id)
                results[action] = "done"
            except CorrelatorError as exc:
                results[action] = _result(exc)
        return results

    def object_id(self, subject: Subject) -> str:
        if subject.user_id and looks_like_guid(subject.user_id):
            return subject.user_id
        name = subject.user or subject.user_id or ""
        doc = self.client.get(f"/{self.version}/users/{quote(name, safe='@')}", {"$select": "id"})
        found = doc.get("id")
        if not isinstance(found, str) or not found:
            raise GraphError(f"users/{name}: no id in the answer", 404)
        return found

    def revoke_sessions(self, object_id: str) -> None:
        doc = self.client.request("POST", f"/{self.version}/users/{object_id}/revokeSignInSessions")
        if doc is not None and doc.get("value") is False:
            raise GraphError("revokeSignInSessions answered false")

    def confirm_compromised(self, object_id: str) -> None:
        path = f"/{self.version}/identityProtection/riskyUsers/confirmCompromised"
        self.client.request("POST", path, body={"userIds": [object_id]})

    def disable_account(self, object_id: str) -> None:
        body = {"accountEnabled": False}
        self.client.request("PATCH", f"/{self.version}/users/{object_id}", body=body)


def _result(error: CorrelatorError) -> str:
    if isinstance(error, TransientError):
        return "unavailable"
    if isinstance(error, GraphError) and error.status is not None:
        return _RESULTS.get(error.status, "failed")
    return "failed"
