"""HTTPS sessions that trust a private CA when asked to, whatever the environment says."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import requests

TIMEOUT_S = 60.0


class TrustingSession(requests.Session):
    """A session whose CA bundle is the one given here.

    requests lets ``REQUESTS_CA_BUNDLE`` override ``Session.verify``, so a session-wide private
    CA is silently ignored wherever that variable is set; passing ``verify`` on every request
    is what wins. Proxies from the environment still apply.
    """

    def __init__(self, ca_bundle: Path | None = None, timeout_s: float = TIMEOUT_S) -> None:
        super().__init__()
        self.ca_bundle = ca_bundle
        self.timeout_s = timeout_s

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if self.ca_bundle is not None:
            kwargs.setdefault("verify", str(self.ca_bundle))
        kwargs.setdefault("timeout", self.timeout_s)
        return super().request(method, url, *args, **kwargs)
