"""Shared helpers: the fixture tree and a per-file outcome count."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from correlator.errors import InvalidRecord
from correlator.model import event_kind
from correlator.sources import decode_lines, parse_record

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RECORD_FILES = sorted(p for p in FIXTURES.rglob("*") if p.suffix in (".json", ".jsonl"))


def outcome(path: Path) -> Counter[str]:
    """Events counted by kind (credential changes by their change kind), rejects as ``!reason``."""
    counts: Counter[str] = Counter()
    for _, record in decode_lines(path.read_bytes()):
        try:
            events = parse_record(record)
        except InvalidRecord as error:
            counts["!" + error.reason] += 1
            continue
        for event in events:
            kind = event_kind(event)
            counts[event.kind if kind == "credential_change" else kind] += 1  # type: ignore[union-attr]
    return counts
