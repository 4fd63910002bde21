"""Settings of the stream job: flags, then environment, then the YAML file, then defaults.

The environment is passed in as a mapping (the CLI hands over ``os.environ``), so resolution is a
pure function that the tests drive directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from correlator.errors import ConfigError
from correlator.redact import MASK, SECRETS, is_secret
from correlator.runtime.topics import Topics

ENV_KAFKA_PREFIX = "CORRELATOR_KAFKA_"


@dataclass(frozen=True)
class RunSettings:
    bootstrap_servers: str | None = None
    group_id: str = "correlator"
    state: str = "memory"
    stage: str = "all"
    topics: Topics = field(default_factory=Topics)
    partitions: int = 6
    create_topics: bool = False
    batch_size: int = 500
    batch_timeout_ms: int = 200
    metrics_port: int = 9108
    metrics_bind: str = "0.0.0.0"
    kafka: dict[str, str] = field(default_factory=dict)  # librdkafka properties, passed through
    # librdkafka callbacks set in code, never from text (Event Hubs' OAUTHBEARER ``oauth_cb``)
    kafka_callbacks: dict[str, Any] = field(default_factory=dict)

    def client_properties(self) -> dict[str, Any]:
        return {**self.kafka, **self.kafka_callbacks}

    def redacted_kafka(self) -> dict[str, str]:
        return {k: (MASK if is_secret(k) else v) for k, v in self.kafka.items()}


# (setting, env names in priority order, YAML path, converter)
_SCALARS: tuple[tuple[str, tuple[str, ...], tuple[str, ...], type], ...] = (
    (
        "bootstrap_servers",
        ("CORRELATOR_BOOTSTRAP_SERVERS", "KAFKA_BOOTSTRAP_SERVERS"),
        ("kafka", "bootstrap_servers"),
        str,
    ),
    ("group_id", ("CORRELATOR_GROUP_ID",), ("kafka", "group_id"), str),
    ("state", ("CORRELATOR_STATE", "REDIS_URL"), ("state",), str),
    ("stage", ("CORRELATOR_STAGE",), ("stage",), str),
    ("partitions", ("CORRELATOR_PARTITIONS",), ("kafka", "partitions"), int),
    ("batch_size", ("CORRELATOR_BATCH_SIZE",), ("batch_size",), int),
    ("batch_timeout_ms", ("CORRELATOR_BATCH_TIMEOUT_MS",), ("batch_timeout_ms",), int),
    ("metrics_port", ("CORRELATOR_METRICS_PORT",), ("metrics_port",), int),
    ("metrics_bind", ("CORRELATOR_METRICS_BIND",), ("metrics_bind",), str),
)
TOPIC_FIELDS = tuple(f.name for f in fields(Topics))


def _yaml_get(raw: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = raw
    for part in path:
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _convert(name: str, value: Any, kind: type) -> Any:
    try:
        return kind(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name} expects {kind.__name__}, got {value!r}") from exc


def _scalar(
    name: str,
    flags: Mapping[str, Any],
    env: Mapping[str, str],
    raw: Mapping[str, Any],
    env_names: tuple[str, ...],
    path: tuple[str, ...],
) -> Any:
    if flags.get(name) is not None:
        return flags[name]
    for env_name in env_names:
        if env.get(env_name):
            return env[env_name]
    return _yaml_get(raw, path)


def _topics(flags: Mapping[str, Any], env: Mapping[str, str], raw: Mapping[str, Any]) -> Topics:
    values = {}
    for name in TOPIC_FIELDS:
        value = _scalar(
            f"topic_{name}",
            flags,
            env,
            raw,
            (f"CORRELATOR_TOPIC_{name.upper()}",),
            ("topics", name),
        )
        if value is not None:
            values[name] = str(value)
    return Topics(**values)


def kafka_properties(
    flags: Mapping[str, Any], env: Mapping[str, str], raw: Mapping[str, Any]
) -> dict[str, str]:
    """librdkafka properties: YAML ``kafka.properties``, then env, then ``-X key=value`` flags.

    ``CORRELATOR_KAFKA_SASL_PASSWORD`` becomes ``sasl.password``; a ``_FILE`` suffix reads the
    value from a file (Kubernetes and Docker secrets), so secrets never sit in a config file.
    """
    yaml_props = _yaml_get(raw, ("kafka", "properties")) or {}
    props = {str(k): _property_text(v) for k, v in yaml_props.items()}
    for name, value in sorted(env.items()):
        if not name.startswith(ENV_KAFKA_PREFIX):
            continue
        key = name[len(ENV_KAFKA_PREFIX) :]
        if key.endswith("_FILE"):
            key, value = key[: -len("_FILE")], _read_secret(name, value)
        props[key.lower().replace("_", ".")] = value
    for item in flags.get("kafka_property") or ():
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"-X expects key=value, got {item!r}")
        props[key.strip()] = value
    SECRETS.add(*(value for key, value in props.items() if is_secret(key)))
    return props


def _property_text(value: Any) -> str:
    """librdkafka reads booleans as ``true``/``false``, not Python's ``True``."""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _read_secret(env_name: str, path: str) -> str:
    try:
        secret = Path(path).read_text(encoding="utf-8").strip()
        SECRETS.add(secret)
        return secret
    except OSError as exc:
        raise ConfigError(f"{env_name}: cannot read {path}: {exc.strerror}") from exc


def resolve_run_settings(
    flags: Mapping[str, Any], env: Mapping[str, str], raw: Mapping[str, Any]
) -> RunSettings:
    values: dict[str, Any] = {}
    for name, env_names, path, kind in _SCALARS:
        value = _scalar(name, flags, env, raw, env_names, path)
        if value is not None:
            values[name] = _convert(name, value, kind)
    values["topics"] = _topics(flags, env, raw)
    values["kafka"] = kafka_properties(flags, env, raw)
    values["create_topics"] = bool(flags.get("create_topics") or _yaml_get(raw, ("create_topics",)))
    settings = RunSettings(**values)
    SECRETS.add_url(settings.state)
    _validate(settings)
    return settings


def _validate(settings: RunSettings) -> None:
    if settings.stage not in ("all", "normalize", "correlate", "keyed"):
        raise ConfigError(
            f"stage must be all, normalize, correlate or keyed, got {settings.stage!r}"
        )
    state = settings.state
    schemes = ("redis://", "rediss://", "unix://", "redis+cluster://", "rediss+cluster://")
    if state != "memory" and not state.startswith(schemes):
        shown = SECRETS.mask(state)
        raise ConfigError(
            f"state must be memory, redis://…, rediss://… or redis+cluster://…, got {shown!r}"
        )
    if settings.partitions < 1 or settings.batch_size < 1 or settings.batch_timeout_ms < 1:
        raise ConfigError("partitions, batch_size and batch_timeout_ms must be at least 1")
    if not 0 <= settings.metrics_port <= 65535:
        raise ConfigError(f"metrics_port must lie in 0..65535, got {settings.metrics_port}")
