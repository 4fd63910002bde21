"""One root error and the few kinds the job treats differently."""

from __future__ import annotations

from correlator.terminal import safe


class CorrelatorError(Exception):
    """Root of every error the project raises on purpose."""


class InvalidRecord(CorrelatorError):
    """A record that can never be processed: route it to the dead-letter topic, never retry.

    ``reason`` is a short stable code (used as a metric label and a DLQ header), ``detail`` the
    human explanation naming the field at fault, ``location`` where the record came from
    (``topic/partition@offset`` or ``file:line``) once known.
    """

    def __init__(self, reason: str, detail: str = "", *, field: str | None = None) -> None:
        self.reason = reason
        self.detail = detail
        self.field = field
        self.location: str | None = None
        super().__init__(self._text())

    def at(self, location: str) -> InvalidRecord:
        self.location = location
        self.args = (self._text(),)
        return self

    def _text(self) -> str:
        parts = [self.reason]
        if self.field:
            parts.append(f"field {self.field!r}")
        if self.detail:
            parts.append(self.detail)
        text = ": ".join(parts)
        text = f"{text} (at {self.location})" if self.location else text
        # The detail quotes the record, and this text is what reaches logs and terminals.
        return safe(text)


class ConfigError(CorrelatorError):
    """The configuration is wrong; the message says which setting and what is allowed."""


class TransientError(CorrelatorError):
    """A dependency is unavailable for now (broker, store): retry with backoff, do not commit."""


class StoreUnavailable(TransientError):
    """The state store did not answer: nothing may be committed until it does."""
