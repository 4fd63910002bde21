"""The schema of the YAML configuration file: every key, its type and its range.

The whole file is checked before any value is used, so a misspelled key, a scalar where a list
belongs or a number out of range is one ``ConfigError`` naming its YAML path, never a traceback
or a silently different meaning (``privileged_users: bob@x`` must not become five characters).

The ``detection``, ``detection.weights`` and ``topics`` sections are derived from their
dataclasses, so a new setting there needs no change here. A new top-level section is one entry
in ``_SECTIONS`` (a ``msgspec.Struct`` with ``forbid_unknown_fields=True``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from correlator.errors import ConfigError

NonNegative = Annotated[int, Meta(ge=0)]
Positive = Annotated[int, Meta(ge=1)]
Port = Annotated[int, Meta(ge=0, le=65535)]
Number = Annotated[float, Meta(ge=0)]
PropertyValue = str | int | float | bool

# Ranges that differ from "not negative". OCSF severity_id: 1 Informational .. 6 Fatal.
_DETECTION_RANGES: dict[str, Any] = {
    "publish_min_severity": Annotated[int, Meta(ge=1, le=6)],
    "high_score": Annotated[int, Meta(ge=1, le=100)],
    "medium_score": Annotated[int, Meta(ge=1, le=100)],
    "low_score": Annotated[int, Meta(ge=1, le=100)],
    "immature_factor": Annotated[float, Meta(ge=0, le=1)],
    "top_k": Positive,
    "skew_ms": Positive,
    "window_ms": Positive,
    "lateness_ms": Positive,
    "incident_gap_ms": Positive,
}
_WEIGHT = Annotated[int, Meta(ge=0, le=100)]
# Kept in the ``corporate`` section, not under ``detection``.
_NOT_IN_DETECTION = {"weights", "corporate_cidrs", "corporate_asns"}
_POSITIVE_DURATIONS = {"skew", "window", "lateness", "incident_gap"}


class _Strict(Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every section: an unknown key is an error."""


class Corporate(_Strict):
    cidrs: list[str] | UnsetType = UNSET
    asns: list[NonNegative] | UnsetType = UNSET


class Kafka(_Strict):
    bootstrap_servers: str | UnsetType = UNSET
    group_id: str | UnsetType = UNSET
    partitions: Positive | UnsetType = UNSET
    properties: dict[str, PropertyValue] | UnsetType | None = UNSET
    preset: str | UnsetType = UNSET  # "eventhubs"
    eventhubs_namespace: str | UnsetType = UNSET


class Directory(_Strict):
    """Identities and privileged users kept current from the directory (Graph)."""

    sync: bool | UnsetType = UNSET
    refresh_minutes: Annotated[float, Meta(gt=0)] | UnsetType = UNSET
    ttl_hours: Annotated[float, Meta(gt=0)] | UnsetType = UNSET


class RuleToggle(_Strict):
    enabled: bool = True


def _leaf_type(annotation: str, name: str) -> Any:
    """The schema type of one dataclass field, from its (string) annotation."""
    if name in _DETECTION_RANGES:
        return _DETECTION_RANGES[name]
    if annotation == "int":
        return NonNegative
    if annotation == "float":
        return Number
    if annotation == "bool":
        return bool
    if annotation.startswith("tuple[str"):
        return list[str]
    if annotation.startswith("tuple[int"):
        return list[NonNegative]
    if annotation == "str":
        return str
    return Any  # a shape this schema does not know yet: config.py converts and checks it


def _struct_from(name: str, cls: type, leaf: Any = None, skip: set[str] | None = None) -> Any:
    defs: list[tuple[str, Any, Any]] = []
    for f in dataclasses.fields(cls):
        if skip and f.name in skip:
            continue
        kind = leaf if leaf is not None else _leaf_type(str(f.type), f.name)
        defs.append((f.name, kind | UnsetType, UNSET))
    return msgspec.defstruct(name, defs, bases=(_Strict,))


def _detection_struct() -> Any:
    from correlator.config import _DURATION_KEYS, DetectionConfig, Weights

    weights = _struct_from("Weights", Weights, leaf=_WEIGHT)
    base = _struct_from("DetectionBase", DetectionConfig, skip=_NOT_IN_DETECTION)
    defs: list[tuple[str, Any, Any]] = [("weights", weights | None | UnsetType, UNSET)]
    for key in _DURATION_KEYS:
        positive = any(key.startswith(f"{p}_") for p in _POSITIVE_DURATIONS)
        kind = Annotated[float, Meta(gt=0)] if positive else Number
        defs.append((key, kind | UnsetType, UNSET))
    return msgspec.defstruct("Detection", defs, bases=(base,))


def _topics_struct() -> Any:
    from correlator.runtime.topics import Topics

    return _struct_from("TopicNames", Topics, leaf=Annotated[str, Meta(min_length=1)])


def _sections() -> list[tuple[str, Any, Any]]:
    """Top-level keys: (name, type, default). Add a new section here."""
    sections: list[tuple[str, Any]] = [
        ("detection", _detection_struct()),
        ("corporate", Corporate),
        ("geoip_dir", str),
        ("aliases", dict[str, str]),
        ("intel", dict[str, list[str]]),
        ("max_future_hours", Number),
        ("rules", dict[str, bool | RuleToggle]),
        ("learned_egress", str),
        ("response", dict[str, Any]),
        ("kafka", Kafka),
        ("directory", Directory),
        ("topics", _topics_struct()),
        ("state", Annotated[str, Meta(min_length=1)]),
        ("stage", str),
        ("create_topics", bool),
        ("batch_size", Positive),
        ("batch_timeout_ms", Positive),
        ("metrics_port", Port),
        ("metrics_bind", str),
    ]
    return [(name, _nullable(name, kind) | UnsetType, UNSET) for name, kind in sections]


def _nullable(name: str, kind: Any) -> Any:
    """An empty section (``aliases:`` with nothing under it) reads as null in YAML: allowed.
    So is ``geoip_dir: null``, which turns the GeoIP databases off."""
    section = isinstance(kind, type) and issubclass(kind, Struct)
    if section or getattr(kind, "__origin__", None) is dict or name == "geoip_dir":
        return kind | None
    return kind


_SCHEMA: Any = None


def schema() -> Any:
    global _SCHEMA
    if _SCHEMA is None:
        _SCHEMA = msgspec.defstruct("ConfigFile", _sections(), bases=(_Strict,))
    return _SCHEMA


def validate_config(raw: Mapping[str, Any]) -> None:
    """Raise ``ConfigError`` naming the YAML path of the first thing wrong in ``raw``."""
    try:
        msgspec.convert(raw, schema(), strict=True)
    except msgspec.ValidationError as exc:
        message = str(exc)
        raise ConfigError(describe(message, _name_keys(raw, message))) from None


_AT = re.compile(r" - at `\$(?P<path>[^`]*)`$")
_SEGMENT = re.compile(r"\.([^.\[]+)|\[(\d+|\.\.\.)\]")
_UNKNOWN = re.compile(r"^Object contains unknown field `(?P<key>[^`]*)`")
_WORDS = (
    ("object | null", "a mapping"),
    ("object", "a mapping"),
    ("array | null", "a list"),
    ("array", "a list"),
    ("float", "a number"),
    ("int", "an integer"),
    ("str", "a string"),
    ("bool", "true or false"),
)


def describe(message: str, path: str | None = None) -> str:
    """msgspec's "Expected `int`, got `str` - at `$.a.b`" as "a.b: expected an integer, …"."""
    match = _AT.search(message)
    if path is None:
        path = match["path"].lstrip(".") if match else ""
    text = message[: match.start()] if match else message
    unknown = _UNKNOWN.match(text)
    if unknown:
        key = f"{path}.{unknown['key']}" if path else unknown["key"]
        return f"{key}: unknown setting"
    text = text[:1].lower() + text[1:]
    for word, readable in _WORDS:
        text = text.replace(f"`{word}`", readable)
    return f"{path or 'the configuration file'}: {text.replace('`', '')}"


def _name_keys(raw: Mapping[str, Any], message: str) -> str | None:
    """The error's path with mapping keys filled in (msgspec writes ``[...]`` for them).

    Each candidate key is tried alone in a copy of the file: the first that fails the same way
    is the culprit. Configuration files are small, so this costs nothing that matters.
    """
    match = _AT.search(message)
    if match is None or "[...]" not in match["path"]:
        return None
    named: list[str] = []
    node: Any = raw
    trail: list[str | int] = []
    for name, index in _SEGMENT.findall(match["path"]):
        if name:
            step: str | int = name
        elif index != "...":
            step = int(index)
        else:
            step = _culprit(raw, trail, node, message)
        trail.append(step)
        named.append(f"[{step}]" if isinstance(step, int) else f".{step}")
        node = node[step]
    return "".join(named).lstrip(".")


def _culprit(raw: Any, trail: list[str | int], node: Mapping[Any, Any], message: str) -> Any:
    for key, value in node.items():
        try:
            msgspec.convert(_replaced(raw, trail, {key: value}), schema(), strict=True)
        except msgspec.ValidationError as exc:
            if str(exc) == message:
                return key
    return "..."


def _replaced(node: Any, trail: list[str | int], value: Any) -> Any:
    if not trail:
        return value
    head, rest = trail[0], trail[1:]
    copy = dict(node) if isinstance(node, Mapping) else list(node)
    copy[head] = _replaced(node[head], rest, value)  # type: ignore[index]
    return copy
