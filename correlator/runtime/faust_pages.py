"""/metrics, /healthz and /readyz on faust's web server, at the job's metrics port."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from correlator.metrics import JobMetrics


def add_pages(app: Any, metrics: JobMetrics, readiness: Callable[[], tuple[bool, str]]) -> None:
    async def metrics_page(view: Any, request: Any) -> Any:
        body, content_type = metrics.exposition()
        # aiohttp refuses a charset in content_type=; a header passes Prometheus' type as is.
        return view.bytes(body, headers={"Content-Type": content_type})

    async def healthz(view: Any, request: Any) -> Any:
        return view.bytes(b"ok\n", content_type="text/plain")

    async def readyz(view: Any, request: Any) -> Any:
        ready, reason = readiness()
        status = 200 if ready else 503
        return view.bytes(reason.encode() + b"\n", content_type="text/plain", status=status)

    for path, handler in (("/metrics", metrics_page), ("/healthz", healthz), ("/readyz", readyz)):
        app.page(path)(handler)
