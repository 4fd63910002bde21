"""Reading the Grafana dashboard: its panels (rows nested or not) and their queries."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Query:
    panel: str
    expr: str
    datasource_uid: str | None


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel that shows data (row panels only group them)."""
    for panel in dashboard["panels"]:
        if panel["type"] == "row":
            yield from panel.get("panels", [])
        else:
            yield panel


def dashboard_queries(dashboard: dict[str, Any]) -> list[Query]:
    return [
        Query(panel["title"], target["expr"], (target.get("datasource") or {}).get("uid"))
        for panel in panels(dashboard)
        for target in panel.get("targets", [])
    ]
