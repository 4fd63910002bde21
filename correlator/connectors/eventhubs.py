"""Azure Event Hubs as the Kafka cluster: the librdkafka properties its Kafka endpoint needs.

Entra's diagnostic settings stream sign-in and audit logs to an event hub as Azure Monitor
``{"records": [...]}`` envelopes; the normalize stage splits them, and the engine drops the
duplicates Event Hubs' at-least-once delivery produces (by record id). Two ways to sign in:
- OAuth (``OAUTHBEARER``): an app registration with the "Azure Event Hubs Data Receiver" (and
  "Sender", for the job's own topics) role; tokens come from ``oauth_cb``;
- the namespace's connection string (``PLAIN``, user ``$ConnectionString``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass

from correlator.errors import ConfigError
from correlator.runconfig import RunSettings

PRESET = "eventhubs"
DOMAIN = ".servicebus.windows.net"
KAFKA_PORT = 9093
_ENDPOINT = re.compile(r"(?i)(?:^|;)\s*Endpoint\s*=\s*sb://([^/;]+)")
_NAMESPACE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]*[A-Za-z0-9]$")

# Microsoft's recommendations for Kafka clients of Event Hubs: the service drops TCP
# connections idle for 240 s and closes connections on requests over 1,046,528 bytes; short
# session timeouts cause rebalances under its request latencies.
RECOMMENDED = {
    "security.protocol": "SASL_SSL",
    "socket.keepalive.enable": "true",
    "metadata.max.age.ms": "180000",
    "connections.max.idle.ms": "180000",
    "message.max.bytes": "1000000",
    "request.timeout.ms": "60000",
    "session.timeout.ms": "30000",
    "heartbeat.interval.ms": "3000",
    "max.poll.interval.ms": "300000",
}


def namespace_host(namespace: str) -> str:
    """``contoso-logs`` → ``contoso-logs.servicebus.windows.net``; a full host name (another
    cloud's domain, for example ``.servicebus.usgovcloudapi.net``) is kept as given."""
    name = namespace.strip().removeprefix("sb://").rstrip("/")
    if not _NAMESPACE.match(name):
        raise ConfigError(f"Event Hubs namespace {namespace!r} is not a namespace name or host")
    return name if "." in name else name + DOMAIN


def host_of_connection_string(connection_string: str) -> str:
    match = _ENDPOINT.search(connection_string)
    if match is None:
        raise ConfigError("the Event Hubs connection string has no Endpoint=sb://… part")
    return match.group(1).rstrip("/")


@dataclass(frozen=True)
class EventHubs:
    host: str
    connection_string: str | None = dataclasses.field(default=None, repr=False)

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{KAFKA_PORT}"

    @property
    def scope(self) -> str:
        return f"https://{self.host}/.default"

    def properties(self) -> dict[str, str]:
        props = dict(RECOMMENDED)
        if self.connection_string is not None:
            props["sasl.mechanism"] = "PLAIN"
            props["sasl.username"] = "$ConnectionString"
            props["sasl.password"] = self.connection_string
        else:
            props["sasl.mechanism"] = "OAUTHBEARER"
        return props


def apply(
    run: RunSettings,
    hubs: EventHubs,
    oauth_cb: Callable[[str], tuple[str, float]] | None,
) -> RunSettings:
    """``run`` pointed at the namespace: the preset's properties under the user's own (YAML,
    environment, ``-X`` win), and the token callback when signing in with OAuth."""
    if hubs.connection_string is None and oauth_cb is None:
        raise ConfigError("Event Hubs needs a connection string or app credentials for OAuth")
    callbacks = dict(run.kafka_callbacks)
    if hubs.connection_string is None and oauth_cb is not None:
        callbacks["oauth_cb"] = oauth_cb
    return dataclasses.replace(
        run,
        bootstrap_servers=run.bootstrap_servers or hubs.bootstrap,
        kafka={**hubs.properties(), **run.kafka},
        kafka_callbacks=callbacks,
    )
