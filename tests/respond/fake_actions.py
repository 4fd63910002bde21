"""The fake Graph server of the connector tests, with the response endpoints added.

``POST /v1.0/users/{id}/revokeSignInSessions`` answers ``{"value": true}`` (200);
``POST /v1.0/identityProtection/riskyUsers/confirmCompromised`` and ``PATCH /v1.0/users/{id}``
answer 204; ``GET /v1.0/users/{upn}`` resolves a UPN. Unknown users get Graph's 404 error
body; ``deny`` paths get 403 ``Authorization_RequestDenied``; ``throttle`` answers 429 with
``Retry-After`` so many times; ``fail`` answers paths with a fixed status and body; ``gate``
holds revoke requests until it is set.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

import orjson

from tests.connectors.fake_graph import FakeGraph, _handler

_USER = re.compile(r"^/v1\.0/users/([^/?]+)(/revokeSignInSessions)?(?:\?.*)?$")
_CONFIRM = "/v1.0/identityProtection/riskyUsers/confirmCompromised"
NOT_FOUND = {"error": {"code": "Request_ResourceNotFound", "message": "Resource does not exist"}}
DENIED = {"error": {"code": "Authorization_RequestDenied", "message": "Insufficient privileges"}}


@dataclass
class ActionGraph(FakeGraph):
    users: dict[str, str] = field(default_factory=dict)  # upn -> object id
    calls: list[tuple[str, str, Any]] = field(default_factory=list)  # method, path, JSON body
    deny: set[str] = field(default_factory=set)  # path substrings answered 403
    throttle: dict[str, int] = field(default_factory=dict)  # path substring -> 429s left
    gate: threading.Event | None = None
    fail: dict[str, tuple[int, Any]] = field(default_factory=dict)  # path substring -> answer
    revoke_answer: bool = True  # revokeSignInSessions' {"value": …}

    def __post_init__(self) -> None:
        super().__post_init__()
        self.server.RequestHandlerClass = _action_handler(self)

    def action_calls(self) -> list[tuple[str, str, Any]]:
        return [c for c in self.calls if c[0] in ("POST", "PATCH")]

    def answer(self, method: str, path: str, body: Any) -> tuple[int, Any, dict[str, str]]:
        with self._lock:
            self.calls.append((method, path, body))
            for part, left in self.throttle.items():
                if part in path and left > 0:
                    self.throttle[part] = left - 1
                    return 429, {"error": {"code": "TooManyRequests"}}, {"Retry-After": "2"}
        if any(part in path for part in self.deny):
            return 403, DENIED, {}
        for part, (status, body_out) in self.fail.items():
            if part in path:
                return status, body_out, {}
        if method == "POST" and path == _CONFIRM:
            ids = body.get("userIds") if isinstance(body, dict) else None
            known = set(self.users.values())
            ok = isinstance(ids, list) and ids and all(i in known for i in ids)
            return (204, None, {}) if ok else (404, NOT_FOUND, {})
        match = _USER.match(path)
        if match is None:
            return 404, NOT_FOUND, {}
        who, revoke = match.group(1), match.group(2)
        object_id = self.users.get(who) or (who if who in self.users.values() else None)
        if object_id is None:
            return 404, NOT_FOUND, {}
        if method == "GET":
            return 200, {"id": object_id, "userPrincipalName": who}, {}
        if method == "POST" and revoke:
            if self.gate is not None:
                self.gate.wait(60)
            answer = {"@odata.context": "$metadata#Edm.Boolean", "value": self.revoke_answer}
            return 200, answer, {}
        if method == "PATCH" and not revoke and body == {"accountEnabled": False}:
            return 204, None, {}
        return 400, {"error": {"code": "BadRequest"}}, {}


def _action_handler(fake: ActionGraph) -> type:
    base = _handler(fake)

    class Handler(base):  # type: ignore[misc,valid-type]
        def do_GET(self) -> None:
            if self.path.startswith("/v1.0/users/"):
                self._graph("GET", None)
            else:
                super().do_GET()

        def do_POST(self) -> None:
            if self.path.startswith("/v1.0/"):
                self._graph("POST", self._body())
            else:
                super().do_POST()

        def do_PATCH(self) -> None:
            self._graph("PATCH", self._body())

        def _body(self) -> Any:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            return orjson.loads(raw) if raw else None

        def _graph(self, method: str, body: Any) -> None:
            if not fake.authorized(self.headers.get("Authorization")):
                self._json(401, {"error": {"code": "InvalidAuthenticationToken"}})
                return
            status, doc, headers = fake.answer(method, self.path, body)
            if doc is None:
                self._head(status, 0, headers)
            else:
                self._json(status, doc, headers)

    return Handler
