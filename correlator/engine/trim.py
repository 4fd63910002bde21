"""Forget per-user state that the watermark says can no longer take part in a join."""

from __future__ import annotations

from correlator.config import DAY_MS, DetectionConfig
from correlator.engine import baseline
from correlator.engine.state import SignInFacts, UserState


def _kept_signins(
    state: UserState, keep: int, watermark: int, config: DetectionConfig
) -> list[SignInFacts]:
    """Sign-ins inside the horizon, plus the most recent unfamiliar ones for longer.

    Catching up a backlog, a user's later sign-ins can arrive a day before the audit record of
    a reset (partitions are fetched in large chunks). The attacker's sign-in is, by nature, the
    unfamiliar one: keeping those few longer lets the late reset still find it.
    """
    suspects_from = watermark - config.suspect_retention_ms
    kept = [f for f in state.recent if f.time >= keep or (f.suspect and f.time >= suspects_from)]
    old_suspects = [f for f in kept if f.time < keep]
    excess = len(old_suspects) - config.max_suspects
    if excess > 0:
        dropped = {id(f) for f in old_suspects[:excess]}
        kept = [f for f in kept if id(f) not in dropped]
    return kept


def _expired(recent: list[SignInFacts], keep: int, suspects_from: int) -> bool:
    """Is anything before ``keep`` due to go? Only the few kept suspects are looked at."""
    for facts in recent:
        if facts.time >= keep:
            return False
        if not facts.suspect or facts.time < suspects_from:
            return True
    return False


def trim_state(state: UserState, watermark: int, config: DetectionConfig) -> None:
    if watermark < 0:
        return
    # A change can still gain sign-ins until the watermark passes its window's end; changes are
    # rare, so they are kept as long as the unfamiliar sign-ins they may still meet (a backlog
    # can deliver a reset a day after its sign-ins, and its siblings must still group with it).
    keep_changes = watermark - max(
        config.window_ms + config.incident_gap_ms, config.suspect_retention_ms
    )
    if state.changes and state.changes[0].time < keep_changes:
        state.changes = [c for c in state.changes if c.time >= keep_changes]
    oldest_change = state.changes[0].time if state.changes else watermark
    anchor = min(oldest_change, watermark)
    keep_signins = anchor - config.skew_ms
    if (
        state.recent
        and state.recent[0].time < keep_signins
        and _expired(state.recent, keep_signins, watermark - config.suspect_retention_ms)
    ):
        state.recent = _kept_signins(state, keep_signins, watermark, config)
    # Calls are few: kept as long as the changes they may precede (a call can arrive after the
    # sign-ins that moved the watermark on, and before the change it led to).
    keep_calls = min(anchor, watermark - config.suspect_retention_ms) - config.call_lookback_ms
    if state.calls and state.calls[0].start < keep_calls:
        state.calls = [c for c in state.calls if c.start >= keep_calls]
    keep_consents = watermark - config.suspect_retention_ms
    if state.consents and state.consents[0].time < keep_consents:
        state.consents = [c for c in state.consents if c.time >= keep_consents]
    # Only entries older than keep_changes can go: most events find none and build nothing.
    if state.emitted and any(e.anchor_time < keep_changes for e in state.emitted):
        live = {c.id for c in state.changes}
        state.emitted = [
            e for e in state.emitted if e.anchor_id in live or e.anchor_time >= keep_changes
        ]
    # seen_ids needs no pass here: it is bounded by count where it is filled.
    # Dicts keep insertion order, which is nearly event-time order: looking at the first entry
    # is an O(1) test on the hot path, and a straggler is caught on the next full pass.
    days = state.profile.days
    newest = watermark + config.lateness_ms
    if days and next(iter(days)) < (newest // DAY_MS) - config.baseline_lookback_days - 1:
        baseline.trim(state.profile, newest, config)
