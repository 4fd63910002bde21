"""faust's settings for the job, chosen for throughput with at-least-once delivery.

Everything comes from the same :class:`RunSettings` as ``correlator run``; the librdkafka
properties that have a faust equivalent are translated, the rest are named in a warning.
"""

from __future__ import annotations

import logging
import ssl
import tempfile
from pathlib import Path
from typing import Any

from correlator.errors import ConfigError
from correlator.runconfig import RunSettings
from correlator.runtime.faust_bridge import librdkafka_partitioner

log = logging.getLogger(__name__)

COMMIT_INTERVAL_S = 1.0
PRODUCER_LINGER_MS = 0
PRODUCER_BATCH_BYTES = 512 * 1024
SESSION_TIMEOUT_S = 10.0
HEARTBEAT_INTERVAL_S = 1.0
FETCH_WAIT_S = 0.01
# Translated below; everything else librdkafka-specific is reported as ignored.
_TRANSLATED = (
    "session.timeout.ms",
    "heartbeat.interval.ms",
    "fetch.wait.max.ms",
    "security.protocol",
    "sasl.mechanism",
    "sasl.mechanisms",
    "sasl.username",
    "sasl.password",
    "ssl.ca.location",
    "message.max.bytes",
)


def app_id(run: RunSettings) -> str:
    """The consumer group (faust's app id): one per stage set, apart from the native groups."""
    return f"{run.group_id}.faust-{run.stage}"


def broker_urls(bootstrap: str) -> list[str]:
    return [f"kafka://{server.strip()}" for server in bootstrap.split(",") if server.strip()]


def app_settings(run: RunSettings, bootstrap: str) -> dict[str, Any]:
    """Keyword arguments for ``faust.App``; see the README for why each value."""
    props = run.kafka
    settings: dict[str, Any] = {
        "broker": broker_urls(bootstrap),
        "autodiscover": False,
        "store": "memory://",  # no faust tables: state lives in the core's store
        # faust wants a data directory even without tables; nothing durable is kept there.
        "datadir": str(Path(tempfile.gettempdir()) / f"correlator-faust-{app_id(run)}"),
        "topic_disable_leader": True,  # no leader election is used: no extra topic
        "consumer_auto_offset_reset": "earliest",
        # What faust has fetched is delivered before a pause takes effect, so these bound how
        # far a paused partition overshoots its alignment buffer's byte share: one batch
        # queued, one poll in flight. Larger values measured no faster.
        "stream_buffer_maxsize": run.batch_size,
        "broker_max_poll_records": run.batch_size,
        # Rebalances wait for the batch in hand to become durable and acknowledged.
        "stream_wait_empty": True,
        # Offsets of acknowledged (durable) batches are committed on this timer.
        "broker_commit_interval": COMMIT_INTERVAL_S,
        "broker_commit_every": max(10_000, 10 * run.batch_size),
        "producer_acks": -1,  # all in-sync replicas: an alert is durable before its offset
        "producer_linger_ms": PRODUCER_LINGER_MS,
        "producer_max_batch_size": PRODUCER_BATCH_BYTES,
        "producer_partitioner": librdkafka_partitioner,
        "broker_session_timeout": _seconds(props, "session.timeout.ms", SESSION_TIMEOUT_S),
        "broker_heartbeat_interval": _seconds(props, "heartbeat.interval.ms", HEARTBEAT_INTERVAL_S),
        # As natively: brokers that hold idle fetches would stall each stage otherwise.
        "fetch_max_wait_ms": int(_seconds(props, "fetch.wait.max.ms", FETCH_WAIT_S) * 1000),
        "web_enabled": run.metrics_port > 0,
        "web_port": max(run.metrics_port, 1),
        "web_bind": run.metrics_bind,
    }
    if "message.max.bytes" in props:  # as natively, dead letters are cut to fit this
        settings["producer_max_request_size"] = _integer(props, "message.max.bytes")
    credentials = _credentials(props)
    if credentials is not None:
        settings["broker_credentials"] = credentials
    ignored = sorted(k for k in props if k not in _TRANSLATED)
    if ignored:
        log.warning("faust runtime: librdkafka properties ignored: %s", ", ".join(ignored))
    return settings


def _seconds(props: dict[str, str], name: str, default: float) -> float:
    if name not in props:
        return default
    try:
        return int(props[name]) / 1000
    except ValueError as exc:
        raise ConfigError(f"{name} expects milliseconds, got {props[name]!r}") from exc


def _integer(props: dict[str, str], name: str) -> int:
    try:
        return int(props[name])
    except ValueError as exc:
        raise ConfigError(f"{name} expects a whole number, got {props[name]!r}") from exc


def _credentials(props: dict[str, str]) -> Any:
    import faust

    protocol = props.get("security.protocol", "PLAINTEXT").upper()
    if protocol == "PLAINTEXT":
        return None
    context = ssl.create_default_context(cafile=props.get("ssl.ca.location"))
    if protocol == "SSL":
        return context
    if protocol not in ("SASL_SSL", "SASL_PLAINTEXT"):
        raise ConfigError(f"security.protocol {protocol} is not supported by the faust runtime")
    mechanism = props.get("sasl.mechanism", props.get("sasl.mechanisms", "PLAIN")).upper()
    return faust.SASLCredentials(
        username=props.get("sasl.username"),
        password=props.get("sasl.password"),
        mechanism=mechanism,
        ssl_context=context if protocol == "SASL_SSL" else None,
    )
