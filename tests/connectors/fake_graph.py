"""A local HTTPS server speaking Microsoft Graph's and Entra's wire format, for the tests.

- Entra: ``/{tenant}/v2.0/.well-known/openid-configuration`` and the v2.0 token endpoint
  (client credentials with a secret or a signed client assertion), as msal calls them;
- Graph collections filtered by ``$filter=<time field> ge <ISO>``, newest first, paged with
  ``@odata.nextLink`` (``$skiptoken``), and delta queries ending in ``@odata.deltaLink``;
- faults scripted per request: a status with ``Retry-After``, a malformed page, a body cut
  half-way, and a body that stops half-way and hangs (to kill a client mid-page).
"""

from __future__ import annotations

import re
import ssl
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import orjson
from cryptography import x509

from tests.connectors.tls import Tls

TENANT = "8f0c1d2e-0000-4000-8000-00000000aa01"
CLIENT_ID = "5a1b2c3d-0000-4000-8000-00000000bb02"
SECRET = "s3cr3t-value-never-logged"
_FILTER = re.compile(r"^(\w+) ge (\S+?)(?: and .*)?$")


@dataclass
class Fault:
    """What the next Graph request matching ``path`` (a substring) gets instead of its page."""

    kind: str  # "status", "malformed", "cut", "hang"
    path: str = ""
    status: int = 503
    retry_after: str | None = None


@dataclass
class Collection:
    records: list[dict[str, Any]]  # stored newest first, as Graph returns sign-ins
    time_field: str
    page_size: int = 3


@dataclass
class FakeGraph:
    tls: Tls
    secret: str = SECRET
    certificate: x509.Certificate | None = None
    expires_in: int = 3599
    refresh_in: int | None = None
    collections: dict[str, Collection] = field(default_factory=dict)
    deltas: dict[str, list[list[dict[str, Any]]]] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    tokens_issued: list[str] = field(default_factory=list)
    graph_requests: list[str] = field(default_factory=list)
    hang: threading.Event = field(default_factory=threading.Event)
    hanging: threading.Event = field(default_factory=threading.Event)
    _cursors: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.tls.cert_file, self.tls.key_file)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeGraph:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.hang.set()
        self.server.shutdown()
        self.server.server_close()

    def add(self, path: str, records: list[dict[str, Any]], time_field: str, page_size: int = 3):
        ordered = sorted(records, key=lambda r: (r[time_field], r["id"]), reverse=True)
        self.collections[path] = Collection(ordered, time_field, page_size)

    # -- Entra -------------------------------------------------------------------------
    def openid_configuration(self) -> dict[str, Any]:
        base = f"{self.url}/{TENANT}"
        return {
            "token_endpoint": f"{base}/oauth2/v2.0/token",
            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
            "issuer": f"https://login.microsoftonline.com/{TENANT}/v2.0",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
        }

    def issue_token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("grant_type") != "client_credentials" or form.get("client_id") != CLIENT_ID:
            return 400, {"error": "unauthorized_client", "error_description": "AADSTS700016"}
        if not self._client_authenticated(form):
            return 401, {"error": "invalid_client", "error_description": "AADSTS7000215"}
        if not form.get("scope", "").endswith("/.default"):
            return 400, {"error": "invalid_scope", "error_description": "AADSTS1002012"}
        token = f"tok-{uuid.uuid4().hex}"
        with self._lock:
            self.tokens_issued.append(token)
        body: dict[str, Any] = {
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "ext_expires_in": self.expires_in,
            "access_token": token,
        }
        if self.refresh_in is not None:
            body["refresh_in"] = self.refresh_in
        return 200, body

    def _client_authenticated(self, form: dict[str, str]) -> bool:
        if self.certificate is None:
            return form.get("client_secret") == self.secret
        assertion = form.get("client_assertion", "")
        try:
            claims = jwt.decode(
                assertion,
                self.certificate.public_key(),  # type: ignore[arg-type]
                algorithms=["RS256", "PS256"],
                audience=self.openid_configuration()["token_endpoint"],
            )
        except jwt.PyJWTError:
            return False
        return bool(claims.get("iss") == CLIENT_ID == claims.get("sub"))

    # -- Graph -------------------------------------------------------------------------
    def authorized(self, header: str | None) -> bool:
        with self._lock:
            return bool(header) and header.removeprefix("Bearer ") in self.tokens_issued

    def take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for i, fault in enumerate(self.faults):
                if fault.path in path:
                    return self.faults.pop(i)
        return None

    def page(self, path: str, query: dict[str, str]) -> dict[str, Any] | None:
        if path.endswith("/delta"):
            return self._delta(path, query)
        cursor = query.get("$skiptoken")
        if cursor is not None:
            return self._continue(path, cursor)
        collection = self.collections.get(path)
        if collection is None:
            return None
        selected = collection.records
        match = _FILTER.match(query.get("$filter", ""))
        if match:
            time_field, since = match.group(1), match.group(2)
            assert time_field == collection.time_field, time_field
            selected = [r for r in selected if r[time_field] >= since]
        key = uuid.uuid4().hex
        with self._lock:
            self._cursors[key] = list(selected)
        return self._continue(path, f"{key}:0")

    def _continue(self, path: str, cursor: str) -> dict[str, Any]:
        key, _, offset_text = cursor.partition(":")
        offset = int(offset_text)
        records = self._cursors[key]
        size = self.collections[path].page_size
        page: dict[str, Any] = {"@odata.context": f"{self.url}/v1.0/$metadata#{path}"}
        page["value"] = records[offset : offset + size]
        if offset + size < len(records):
            link = urlencode({"$skiptoken": f"{key}:{offset + size}"})
            page["@odata.nextLink"] = f"{self.url}{path}?{link}"
        return page

    def _delta(self, path: str, query: dict[str, str]) -> dict[str, Any]:
        rounds = self.deltas.get(path, [])
        token = query.get("$deltatoken")
        round_index = int(token) if token is not None else 0
        values = rounds[round_index] if round_index < len(rounds) else []
        link = urlencode({"$deltatoken": str(min(round_index + 1, max(len(rounds), 1)))})
        return {"value": values, "@odata.deltaLink": f"{self.url}{path}?{link}"}


def _handler(fake: FakeGraph) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *_: Any) -> None:
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path == f"/{TENANT}/v2.0/.well-known/openid-configuration":
                self._json(200, fake.openid_configuration())
                return
            if not fake.authorized(self.headers.get("Authorization")):
                self._json(401, {"error": {"code": "InvalidAuthenticationToken"}})
                return
            with fake._lock:
                fake.graph_requests.append(self.path)
            fault = fake.take_fault(self.path)
            if fault is not None:
                self._fault(fault, parts.path, query)
                return
            page = fake.page(parts.path, query)
            if page is None:
                self._json(404, {"error": {"code": "Request_ResourceNotFound"}})
            else:
                self._json(200, page)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode()
            if self.path == f"/{TENANT}/oauth2/v2.0/token":
                form = {k: v[0] for k, v in parse_qs(body).items()}
                self._json(*fake.issue_token(form))
                return
            self._json(404, {"error": {"code": "NotFound"}})

        def _fault(self, fault: Fault, path: str, query: dict[str, str]) -> None:
            if fault.kind == "status":
                headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
                self._json(fault.status, {"error": {"code": "TooManyRequests"}}, headers)
            elif fault.kind == "malformed":
                self._json(200, {"value": "not a list"})
            else:  # "cut" or "hang": the real page, but only its first half arrives
                body = orjson.dumps(fake.page(path, query))
                self._head(200, len(body), {})
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                if fault.kind == "hang":
                    fake.hanging.set()
                    fake.hang.wait(60)
                self.close_connection = True

        def _json(self, status: int, doc: Any, headers: dict[str, str] | None = None) -> None:
            body = orjson.dumps(doc)
            self._head(status, len(body), headers or {})
            self.wfile.write(body)

        def _head(self, status: int, length: int, headers: dict[str, str]) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; odata.metadata=minimal")
            self.send_header("Content-Length", str(length))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()

    return Handler


def iter_ids(records: list[dict[str, Any]]) -> Iterator[str]:
    return (str(r["id"]) for r in records)
