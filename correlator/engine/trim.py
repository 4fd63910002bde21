"""Forget per-user state that the watermark says can no longer take part in a join."""

from __future__ import annotations

from correlator.config import DAY_MS, DetectionConfig
from correlator.engine import baseline
from correlator.engine.state import UserState


def trim_state(state: UserState, watermark: int, config: DetectionConfig) -> None:
    if watermark < 0:
        return
    # A change can still gain sign-ins until the watermark passes its window's end.
    keep_changes = watermark - config.window_ms - config.incident_gap_ms
    if state.changes and state.changes[0].time < keep_changes:
        state.changes = [c for c in state.changes if c.time >= keep_changes]
    oldest_change = state.changes[0].time if state.changes else watermark
    anchor = min(oldest_change, watermark)
    keep_signins = anchor - config.skew_ms
    if state.recent and state.recent[0].time < keep_signins:
        state.recent = [f for f in state.recent if f.time >= keep_signins]
    keep_calls = anchor - config.call_lookback_ms
    if state.calls and state.calls[0].start < keep_calls:
        state.calls = [c for c in state.calls if c.start >= keep_calls]
    if state.emitted:
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
