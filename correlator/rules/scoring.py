"""Score evidence: weights summed per family, each family capped, families added up to 100."""

from __future__ import annotations

from collections.abc import Iterable

from correlator.config import DetectionConfig
from correlator.model import Evidence

# Families whose evidence is novelty against the baseline: worth less on a young baseline.
NOVELTY_FAMILIES = frozenset({"device", "network"})


def family_points(
    evidence: Iterable[Evidence], config: DetectionConfig, mature: bool
) -> dict[str, int]:
    totals: dict[str, int] = {}
    for item in evidence:
        totals[item.family] = totals.get(item.family, 0) + item.weight
    points: dict[str, int] = {}
    for family, total in totals.items():
        capped = min(total, config.weights.family_cap)
        if not mature and family in NOVELTY_FAMILIES:
            capped = int(capped * config.immature_factor)
        if capped > 0:
            points[family] = capped
    return points


def total_score(points: dict[str, int]) -> int:
    return min(100, sum(points.values()))
