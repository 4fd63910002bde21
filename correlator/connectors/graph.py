"""A small Microsoft Graph client: bearer tokens, paging, throttling and retries.

Used by the poller, the directory sync and response actions. Tokens come from any callable
(``TokenProvider.bearer``), so this module does not depend on msal.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import requests

from correlator.connectors.http import TrustingSession
from correlator.connectors.pacing import Backoff, RateLimit, parse_retry_after
from correlator.errors import CorrelatorError, TransientError

log = logging.getLogger(__name__)

DEFAULT_GRAPH_URL = "https://graph.microsoft.com"
RETRIED_STATUS = frozenset({429, 500, 502, 503, 504})
TIMEOUT_S = 60.0
MAX_PAGES = 1_000_000  # a nextLink that never ends is a server bug, not a reason to loop forever


class GraphError(CorrelatorError):
    """Graph answered, and retrying will not help: a 4xx, or a page that is not a page."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class GraphUnavailable(TransientError):
    """Graph did not give an answer within the retries (throttled, 5xx, network, cut bodies)."""


@dataclass(frozen=True)
class Page:
    records: list[dict[str, Any]]
    next_link: str | None = None
    delta_link: str | None = None


@dataclass
class GraphStats:
    requests: int = 0
    retries: int = 0
    throttled: int = 0
    waited_s: float = 0.0


@dataclass
class GraphClient:
    """``base_url`` is the Graph root (national clouds differ); paths start with ``/v1.0``."""

    tokens: Callable[[], str]
    base_url: str = DEFAULT_GRAPH_URL
    ca_bundle: Path | None = None
    limit: RateLimit | None = field(default_factory=RateLimit)
    backoff: Backoff = field(default_factory=Backoff)
    sleep: Callable[[float], None] = time.sleep
    session: requests.Session | None = None
    stats: GraphStats = field(default_factory=GraphStats)

    def __post_init__(self) -> None:
        if self.session is None:
            self.session = TrustingSession(self.ca_bundle, TIMEOUT_S)

    def url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("https://", "http://")):
            return path_or_url
        return self.base_url.rstrip("/") + "/" + path_or_url.lstrip("/")

    def get(self, path: str, params: Mapping[str, str] | None = None) -> dict[str, Any]:
        return self.request("GET", path, params=params) or {}

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: object = None,
    ) -> dict[str, Any] | None:
        """One call with retries; the JSON object answered, or None for an empty body (204)."""
        url = self.url(path)
        for attempt in range(self.backoff.attempts):
            outcome = self._attempt(method, url, params, body)
            if not isinstance(outcome, _Retry):
                return outcome
            if attempt + 1 < self.backoff.attempts:
                pause = self.backoff.delay(attempt, outcome.retry_after_s)
                log.warning("graph %s %s: %s; retrying in %.1f s", method, path, outcome, pause)
                self.stats.retries += 1
                self.stats.waited_s += pause
                self.sleep(pause)
        raise GraphUnavailable(f"{method} {_shown(url)}: gave up after retries: {outcome}")

    def _attempt(
        self, method: str, url: str, params: Mapping[str, str] | None, body: object
    ) -> dict[str, Any] | _Retry | None:
        if self.limit is not None:
            self.stats.waited_s += self.limit.acquire()
        self.stats.requests += 1
        headers = {"Authorization": f"Bearer {self.tokens()}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = orjson.dumps(body)
            headers["Content-Type"] = "application/json"
        assert self.session is not None
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                data=data,
                headers=headers,
                timeout=TIMEOUT_S,
            )
            content = response.content  # a body cut half-way raises here
        except requests.RequestException as exc:
            return _Retry(f"{type(exc).__name__}: {str(exc)[:200]}")
        return self._outcome(response, content)

    def _outcome(
        self, response: requests.Response, content: bytes
    ) -> dict[str, Any] | _Retry | None:
        status = response.status_code
        if status in RETRIED_STATUS:
            if status == 429:
                self.stats.throttled += 1
            retry_after = parse_retry_after(response.headers.get("Retry-After"), time.time())
            return _Retry(f"HTTP {status}", retry_after)
        if status >= 400:
            raise GraphError(f"HTTP {status}: {_error_text(content)}", status)
        if not content.strip():
            return None
        try:
            doc = orjson.loads(content)
        except orjson.JSONDecodeError:
            # A 200 whose body is not JSON is a response cut short by a proxy or a reset.
            return _Retry("response body is not complete JSON")
        if not isinstance(doc, dict):
            raise GraphError(f"expected a JSON object, got {type(doc).__name__}", status)
        return doc

    def pages(self, path: str, params: Mapping[str, str] | None = None) -> Iterator[Page]:
        """Every page of a collection, following ``@odata.nextLink`` until a page has none
        (a delta query's last page carries ``@odata.deltaLink`` instead)."""
        url: str | None = path
        query = params
        for _ in range(MAX_PAGES):
            if url is None:
                return
            page = as_page(self.get(url, query))
            yield page
            url, query = page.next_link, None  # the next link already holds the query
        raise GraphError(f"{path}: more than {MAX_PAGES} pages")


@dataclass(frozen=True)
class _Retry:
    reason: str
    retry_after_s: float | None = None

    def __str__(self) -> str:
        return self.reason


def as_page(doc: Mapping[str, Any]) -> Page:
    values = doc.get("value")
    if not isinstance(values, list) or not all(isinstance(v, dict) for v in values):
        raise GraphError("malformed page: 'value' is not a list of objects")
    next_link = doc.get("@odata.nextLink")
    delta_link = doc.get("@odata.deltaLink")
    for name, link in (("nextLink", next_link), ("deltaLink", delta_link)):
        if link is not None and not isinstance(link, str):
            raise GraphError(f"malformed page: @odata.{name} is not a string")
    return Page(values, next_link, delta_link)


def _error_text(content: bytes) -> str:
    try:
        error = orjson.loads(content).get("error", {})
        return f"{error.get('code', '')}: {str(error.get('message', ''))[:300]}"
    except (orjson.JSONDecodeError, AttributeError):
        return content[:200].decode("utf-8", "replace")


def _shown(url: str) -> str:
    # Query strings carry filters, never secrets; links can be long, so cut them.
    return url if len(url) <= 200 else url[:197] + "..."
