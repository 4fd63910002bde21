"""Where a poller resumes: per endpoint, a high-water mark and the ids it already produced.

Kept in a JSON file (written to a temporary file, synced, then renamed, so a crash leaves the
old or the new checkpoint, never half of one) or in the state store's meta entries (Redis).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import orjson

from correlator.errors import ConfigError
from correlator.state import StateStore, open_store


@dataclass
class Checkpoint:
    """``high_water_ms``: the newest record time of the last complete pass; ``sent``: record
    id → record time of everything produced since ``high_water_ms - overlap``; ``pending``: the
    ids of the page being produced, and ``pending_from`` the topic's end offsets before it."""

    high_water_ms: int | None = None
    sent: dict[str, int] = field(default_factory=dict)
    delta_link: str | None = None
    pending: dict[str, int] = field(default_factory=dict)
    pending_from: dict[int, int] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        return orjson.dumps(
            {
                "high_water_ms": self.high_water_ms,
                "sent": self.sent,
                "delta_link": self.delta_link,
                "pending": self.pending,
                "pending_from": {str(p): o for p, o in self.pending_from.items()},
            }
        )

    @classmethod
    def from_bytes(cls, data: bytes | None) -> Checkpoint:
        if not data:
            return cls()
        try:
            doc = orjson.loads(data)
            return cls(
                high_water_ms=doc.get("high_water_ms"),
                sent={str(k): int(v) for k, v in doc.get("sent", {}).items()},
                delta_link=doc.get("delta_link"),
                pending={str(k): int(v) for k, v in doc.get("pending", {}).items()},
                pending_from={int(k): int(v) for k, v in doc.get("pending_from", {}).items()},
            )
        except (orjson.JSONDecodeError, AttributeError, TypeError, ValueError) as exc:
            # Guessing would repeat or lose records; the operator decides (--since, or delete).
            raise ConfigError(f"the checkpoint is unreadable: {exc}") from exc

    def forget_before(self, time_ms: int) -> None:
        self.sent = {k: t for k, t in self.sent.items() if t >= time_ms}


class Checkpoints(Protocol):
    def load(self, name: str) -> Checkpoint: ...

    def save(self, name: str, checkpoint: Checkpoint) -> None: ...

    def close(self) -> None: ...


class FileCheckpoints:
    """All endpoints in one JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _all(self) -> dict[str, object]:
        try:
            doc = orjson.loads(self.path.read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, orjson.JSONDecodeError) as exc:
            raise ConfigError(f"checkpoint file {self.path} is unreadable: {exc}") from exc
        if not isinstance(doc, dict):
            raise ConfigError(f"checkpoint file {self.path} does not hold a JSON object")
        return doc

    def load(self, name: str) -> Checkpoint:
        entry = self._all().get(name)
        return Checkpoint.from_bytes(orjson.dumps(entry) if entry else None)

    def save(self, name: str, checkpoint: Checkpoint) -> None:
        doc = self._all()
        doc[name] = orjson.loads(checkpoint.to_bytes())
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("wb") as handle:
            handle.write(orjson.dumps(doc))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)

    def close(self) -> None:
        pass


class StoreCheckpoints:
    """Checkpoints as meta entries of a state store (``redis://…``), one per endpoint."""

    def __init__(self, store: StateStore) -> None:
        self.store = store

    def load(self, name: str) -> Checkpoint:
        return Checkpoint.from_bytes(self.store.get_meta(f"checkpoint:{name}"))

    def save(self, name: str, checkpoint: Checkpoint) -> None:
        self.store.put_meta(f"checkpoint:{name}", checkpoint.to_bytes())

    def close(self) -> None:
        self.store.close()


def open_checkpoints(spec: str, *, namespace: str = "correlator-ingest") -> Checkpoints:
    """``redis://…`` / ``rediss://…`` for the store, anything else is a file path."""
    if spec.startswith(("redis://", "rediss://", "unix://")):
        return StoreCheckpoints(open_store(spec, namespace=namespace, setting="--checkpoint"))
    path = Path(spec)
    if path.is_dir():
        path = path / "graph-checkpoint.json"
    return FileCheckpoints(path)
