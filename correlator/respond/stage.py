"""``correlator respond``: the alerts topic in; action records and alert revisions out.

A consumer group of its own (``<group>.respond``) reads ``correlator.alerts``; each alert goes
through the ``Responder``; the action record goes to ``correlator.actions`` and the revision
saying what was done back to the alerts topic. Offsets commit after both are acknowledged;
the ledger (Redis with ``--state redis://…``) is written before and after each Graph call, so
a restart or a re-delivery never acts twice on one finding, and the rate limit's window is kept
there too, so a restart does not reset it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from confluent_kafka import Message
from prometheus_client import CollectorRegistry, Counter, start_http_server

from correlator.config import Settings
from correlator.errors import InvalidRecord, TransientError
from correlator.respond.ledger import Ledger, MemoryLedger, RedisLedger, RedisRateWindow
from correlator.respond.policy import RateLimit, RateWindow, ResponsePolicy
from correlator.respond.responder import Actions, Responder
from correlator.runconfig import RunSettings
from correlator.runtime.clients import (
    TrackedProducer,
    consumer_config,
    new_consumer,
    producer_config,
)
from correlator.runtime.worker import BatchWorker

log = logging.getLogger(__name__)
MAX_BACKOFF_S = 30.0


class ResponseMetrics:
    """``correlator_response_decisions_total{outcome,reason}`` and
    ``correlator_response_actions_total{action,result}``."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.decisions = Counter(
            "correlator_response_decisions_total",
            "Alerts the responder decided on, by outcome (act, dry_run, withheld) and reason",
            ["outcome", "reason"],
            registry=self.registry,
        )
        self.actions = Counter(
            "correlator_response_actions_total",
            "Graph response actions attempted, by action and result",
            ["action", "result"],
            registry=self.registry,
        )
        self.invalid = Counter(
            "correlator_response_invalid_alerts_total",
            "Alerts the responder could not read",
            registry=self.registry,
        )

    def count(self, outcome: str, reason: str, results: dict[str, str]) -> None:
        self.decisions.labels(outcome, reason).inc()
        for action, result in results.items():
            self.actions.labels(action, result).inc()


class RespondWorker(BatchWorker[None]):
    name = "respond"

    def __init__(
        self,
        *args: Any,
        responder: Responder,
        actions_topic: str,
        alerts_topic: str,
        metrics: ResponseMetrics,
        clock: Callable[[], float] = time.time,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.responder = responder
        self.topics_out = {"action": actions_topic, "alert": alerts_topic}
        self.metrics = metrics
        self.clock = clock

    def prepare(self, message: Message) -> tuple[int | None, None]:
        return None, None  # the responder reads each alert itself, in arrival order

    def handle(self, batch: list[Message], prepared: list[None]) -> None:
        for message in batch:
            try:
                outputs = self.responder.handle(message.value() or b"", int(self.clock() * 1000))
            except InvalidRecord as exc:
                self.metrics.invalid.inc()
                log.warning("respond: unreadable alert at %s: %s", _where(message), exc)
                continue
            for output in outputs:
                self.producer.produce(self.topics_out[output.kind], output.value, key=output.key)


def _redis(state: str) -> bool:
    return state.startswith(("redis://", "rediss://"))


def build_ledger(state: str, namespace: str) -> Ledger:
    return RedisLedger(state, namespace=namespace) if _redis(state) else MemoryLedger()


def build_rate(state: str, namespace: str, policy: ResponsePolicy) -> RateLimit:
    if not _redis(state):
        return RateWindow.of(policy)
    return RedisRateWindow(
        state, policy.max_actions, policy.per_ms, namespace=namespace, dry_run=policy.dry_run
    )


def run_responder(
    run: RunSettings,
    policy: ResponsePolicy,
    actions: Actions | None,
    stop: threading.Event,
    *,
    namespace: str = "correlator",
    metrics_port: int | None = None,
) -> None:
    metrics = ResponseMetrics()
    if metrics_port:
        start_http_server(metrics_port, registry=metrics.registry)
    responder = Responder(
        policy,
        build_ledger(run.state, namespace),
        actions,
        rate=build_rate(run.state, namespace, policy),
        count=metrics.count,
    )
    config = consumer_config(run.bootstrap_servers or "", f"{run.group_id}.respond", run.kafka)
    worker = RespondWorker(
        new_consumer(config),
        TrackedProducer(producer_config(run.bootstrap_servers or "", run.kafka)),
        [run.topics.alerts],
        responder=responder,
        actions_topic=run.topics.actions,
        alerts_topic=run.topics.alerts,
        metrics=metrics,
        batch_size=run.batch_size,
        batch_timeout_s=run.batch_timeout_ms / 1000,
    )
    _loop(worker, stop)


def _loop(worker: RespondWorker, stop: threading.Event) -> None:
    backoff = 0.5
    try:
        while not stop.is_set():
            try:
                worker.step()
                backoff = 0.5
            except TransientError as exc:
                log.warning("respond: %s; retrying in %.1f s", exc, backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_S)
    finally:
        worker.close()


def _where(message: Message) -> str:
    return f"{message.topic()}/{message.partition()}@{message.offset()}"


def graph_actions(settings: Settings, args: Any, env: dict[str, str]) -> Actions:
    """The Graph client and token provider from flags and the environment (secrets never in
    the configuration file)."""
    from correlator.connectors.auth import GRAPH_SCOPE, TokenProvider, credentials_from
    from correlator.connectors.graph import DEFAULT_GRAPH_URL, GraphClient
    from correlator.respond.graph_actions import GraphActions

    credentials = credentials_from(
        tenant_id=args.tenant_id,
        client_id=args.client_id,
        secret_file=args.client_secret_file,
        certificate=args.certificate,
        env=env,
    )
    ca_bundle: Path | None = args.ca_bundle
    authority = args.authority or "https://login.microsoftonline.com"
    graph_url = args.graph_url or DEFAULT_GRAPH_URL
    scope = graph_url.rstrip("/") + "/.default" if args.graph_url else GRAPH_SCOPE
    tokens = TokenProvider(credentials, scope, authority=authority, ca_bundle=ca_bundle)
    client = GraphClient(tokens.bearer, base_url=graph_url, ca_bundle=ca_bundle, limit=None)
    return GraphActions(client)
