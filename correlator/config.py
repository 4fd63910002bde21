"""Settings: documented defaults, overridden by a YAML file (and, for the runtime, env and flags).

Only this module and the CLI read files or the environment for configuration.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml

from correlator.config_schema import validate_config
from correlator.errors import ConfigError
from correlator.identity import Identities

MINUTE_MS = 60_000
HOUR_MS = 60 * MINUTE_MS
DAY_MS = 24 * HOUR_MS


@dataclass(frozen=True)
class Weights:
    """Points each piece of evidence adds; each family is capped at ``family_cap``."""

    device_new_unmanaged: int = 30
    device_missing: int = 25
    device_new_managed: int = 5
    country_new: int = 20
    asn_new: int = 15
    prefix_new: int = 5
    agent_new: int = 5
    anonymizer: int = 25
    tor: int = 30
    travel: int = 25
    risk_high: int = 25
    risk_medium: int = 15
    risk_low: int = 5
    risk_events: int = 10
    call_external: int = 15
    call_known_bad: int = 30
    weak_verification: int = 10
    mfa_added_after: int = 20
    privileged_target: int = 15
    family_cap: int = 35


@dataclass(frozen=True)
class DetectionConfig:
    skew_ms: int = 5 * MINUTE_MS
    window_ms: int = 60 * MINUTE_MS
    lateness_ms: int = 24 * HOUR_MS
    incident_gap_ms: int = 15 * MINUTE_MS
    call_lookback_ms: int = 24 * HOUR_MS
    baseline_lookback_days: int = 30
    baseline_min_signins: int = 5
    baseline_min_days: int = 3
    immature_factor: float = 0.5
    travel_max_kmh: float = 1000.0
    travel_min_km: float = 500.0
    top_k: int = 8
    max_recent_signins: int = 48
    suspect_retention_ms: int = 96 * HOUR_MS
    max_suspects: int = 8
    max_pending_changes: int = 16
    max_calls: int = 8
    high_score: int = 70
    medium_score: int = 40
    low_score: int = 20
    min_families_high: int = 2
    publish_min_severity: int = 3  # OCSF severity_id: 3 Medium
    weak_verification_methods: tuple[str, ...] = (
        "security_questions",
        "employee_id",
        "knowledge_based",
        "none",
    )
    corporate_cidrs: tuple[str, ...] = ()
    corporate_asns: tuple[int, ...] = ()
    privileged_users: tuple[str, ...] = ()
    known_bad_numbers: tuple[str, ...] = ()
    chain_call_window_ms: int = 2 * HOUR_MS  # vishing-chain: inbound call -> credential change
    fatigue_min_denials: int = 5  # mfa-fatigue: denied or unanswered prompts before a success
    fatigue_window_ms: int = 30 * MINUTE_MS
    consent_window_ms: int = 2 * HOUR_MS  # consent-after-call: a call or change this long before
    consent_trusted_apps: tuple[str, ...] = ()  # application names or ids consented freely
    learned_asns: dict[int, int] = field(default_factory=dict)  # ASN -> distinct users
    learned_prefixes: dict[str, int] = field(default_factory=dict)  # /24, /48 -> users
    exit_min_days: int = 3  # a VPN/hosting exit used on this many days is the user's own
    keyed_retention_ms: int = 48 * HOUR_MS  # keyed stages: how long a key's events are kept
    campaign_min_callees: int = 3  # call-campaign: distinct employees one number calls...
    campaign_window_ms: int = 60 * MINUTE_MS  # ...within this sliding window
    campaign_escalation_ms: int = 24 * HOUR_MS  # a callee's change or odd sign-in after a call
    campaign_meeting_ms: int = 2 * MINUTE_MS  # calls this close together: a bridge dialling out
    callback_min_callers: int = 3  # callback-campaign: distinct employees calling one number...
    callback_window_ms: int = 120 * MINUTE_MS  # ...within this sliding window
    callback_allowed_numbers: tuple[str, ...] = ()  # help lines, vendors: never a campaign
    working_hours: tuple[int, int] = (7, 19)  # helpdesk-anomaly: the target's local hours...
    default_timezone: str | None = None  # ...in this zone, or the user's own (user_timezones),
    user_timezones: dict[str, str] = field(default_factory=dict)  # else from their sign-ins
    caller_lookback_ms: int = 72 * HOUR_MS  # one account requested by different callers
    burst_agent_min: int = 5  # distinct accounts one agent resets within the burst window
    burst_tenant_min: int = 12  # distinct accounts reset across the tenant within it
    burst_window_ms: int = 60 * MINUTE_MS
    weights: Weights = field(default_factory=Weights)

    def __post_init__(self) -> None:
        for name in ("skew_ms", "window_ms", "lateness_ms", "incident_gap_ms", "top_k"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"detection.{name} must be positive")
        if not 0 < self.low_score <= self.medium_score <= self.high_score <= 100:
            raise ConfigError("detection scores must satisfy 0 < low <= medium <= high <= 100")
        if not 0.0 <= self.immature_factor <= 1.0:
            raise ConfigError("detection.immature_factor must lie in [0, 1]")
        start, end = self.working_hours
        if not 0 <= start < end <= 24:
            raise ConfigError(
                "detection.working_hours must be [start, end] with 0 <= start < end <= 24"
            )
        for zone in (self.default_timezone, *self.user_timezones.values()):
            _check_zone(zone)

    @property
    def horizon_ms(self) -> int:
        """How far behind the newest event time per-event state must still be kept."""
        return self.lateness_ms + self.window_ms + self.skew_ms


def _check_zone(name: str | None) -> None:
    if name is None:
        return
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(
            f"unknown time zone {name!r} (use an IANA name such as Europe/London)"
        ) from exc


@dataclass(frozen=True)
class Settings:
    detection: DetectionConfig = field(default_factory=DetectionConfig)
    geoip_dir: Path | None = Path("/usr/share/GeoIP")
    aliases: dict[str, str] = field(default_factory=dict)
    intel: dict[str, tuple[str, ...]] = field(default_factory=dict)
    max_future_ms: int = DAY_MS
    rules: dict[str, bool] = field(default_factory=dict)  # rule id -> enabled; unnamed: on
    learned_egress: str | None = None  # file written by `correlator learn-egress`
    extra: dict[str, Any] = field(default_factory=dict)  # sections later stages read (kafka...)
    # The live directory view (aliases and privileged users kept current by a directory sync);
    # None: the static ``aliases`` and ``detection.privileged_users`` alone.
    identities: Identities | None = None


# YAML keys given in minutes/hours/days for readability, mapped onto the millisecond fields.
_DURATION_KEYS = {
    "skew_minutes": ("skew_ms", MINUTE_MS),
    "window_minutes": ("window_ms", MINUTE_MS),
    "lateness_hours": ("lateness_ms", HOUR_MS),
    "incident_gap_minutes": ("incident_gap_ms", MINUTE_MS),
    "call_lookback_hours": ("call_lookback_ms", HOUR_MS),
    "suspect_retention_hours": ("suspect_retention_ms", HOUR_MS),
    "chain_call_window_minutes": ("chain_call_window_ms", MINUTE_MS),
    "fatigue_window_minutes": ("fatigue_window_ms", MINUTE_MS),
    "keyed_retention_hours": ("keyed_retention_ms", HOUR_MS),
    "caller_lookback_hours": ("caller_lookback_ms", HOUR_MS),
    "burst_window_minutes": ("burst_window_ms", MINUTE_MS),
    "consent_window_minutes": ("consent_window_ms", MINUTE_MS),
    "campaign_window_minutes": ("campaign_window_ms", MINUTE_MS),
    "campaign_escalation_hours": ("campaign_escalation_ms", HOUR_MS),
    "campaign_meeting_minutes": ("campaign_meeting_ms", MINUTE_MS),
    "callback_window_minutes": ("callback_window_ms", MINUTE_MS),
}


def _detection_from(raw: dict[str, Any], corporate: dict[str, Any]) -> DetectionConfig:
    known = {f.name for f in fields(DetectionConfig)} - {"weights"}
    values: dict[str, Any] = {}
    for key, value in raw.items():
        if key in _DURATION_KEYS:
            name, unit = _DURATION_KEYS[key]
            values[name] = int(float(value) * unit)
        elif key == "weights":
            values["weights"] = _weights_from(value)
        elif key == "user_timezones":
            values[key] = {str(k).lower(): str(v) for k, v in (value or {}).items()}
        elif key in known:
            values[key] = tuple(value) if isinstance(value, list) else value
        else:
            raise ConfigError(f"unknown setting detection.{key}")
    values["corporate_cidrs"] = tuple(str(c) for c in corporate.get("cidrs", ()))
    values["corporate_asns"] = tuple(int(a) for a in corporate.get("asns", ()))
    try:
        return DetectionConfig(**values)
    except TypeError as exc:
        raise ConfigError(f"detection: {exc}") from exc


def _weights_from(raw: Any) -> Weights:
    if not isinstance(raw, dict):
        raise ConfigError("detection.weights must be a mapping")
    known = {f.name for f in fields(Weights)}
    unknown = set(raw) - known
    if unknown:
        raise ConfigError(f"unknown setting detection.weights.{sorted(unknown)[0]}")
    return Weights(**{k: int(v) for k, v in raw.items()})


def settings_from_mapping(raw: dict[str, Any]) -> Settings:
    if not isinstance(raw, dict):
        raise ConfigError("the configuration file must hold a mapping at the top level")
    validate_config(raw)
    corporate = raw.get("corporate") or {}
    detection = _detection_from(raw.get("detection") or {}, corporate)
    geoip = raw.get("geoip_dir", Settings.geoip_dir)
    intel = {str(k): tuple(str(x) for x in v) for k, v in (raw.get("intel") or {}).items()}
    known = {"corporate", "detection", "geoip_dir", "aliases", "intel", "max_future_hours"}
    known.update(("rules", "learned_egress"))
    return Settings(
        detection=detection,
        geoip_dir=Path(geoip) if geoip else None,
        aliases={str(k): str(v) for k, v in (raw.get("aliases") or {}).items()},
        intel=intel,
        max_future_ms=int(float(raw.get("max_future_hours", 24)) * HOUR_MS),
        rules=_rules_from(raw.get("rules") or {}),
        learned_egress=str(raw["learned_egress"]) if raw.get("learned_egress") else None,
        extra={k: v for k, v in raw.items() if k not in known},
    )


def _rules_from(raw: Any) -> dict[str, bool]:
    """``rules: {vishing-chain: {enabled: false}}`` (or ``vishing-chain: false``)."""
    if not isinstance(raw, dict):
        raise ConfigError("rules must map rule ids to {enabled: true|false}")
    enabled: dict[str, bool] = {}
    for rule_id, value in raw.items():
        if isinstance(value, dict):
            unknown = set(value) - {"enabled"}
            if unknown:
                raise ConfigError(f"unknown setting rules.{rule_id}.{sorted(unknown)[0]}")
            value = value.get("enabled", True)
        if not isinstance(value, bool):
            raise ConfigError(f"rules.{rule_id}.enabled must be true or false")
        enabled[str(rule_id)] = value
    return enabled


def _learned_from(path: Path) -> dict[str, Any]:
    """The networks ``correlator learn-egress`` wrote: corporate for novelty."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read learned_egress file {path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"learned_egress file {path} must hold asns and prefixes")
    try:
        asns = {int(k): int(v) for k, v in (raw.get("asns") or {}).items()}
        prefixes = {str(k): int(v) for k, v in (raw.get("prefixes") or {}).items()}
    except (TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"learned_egress file {path}: {exc}") from exc
    return {"learned_asns": asns, "learned_prefixes": prefixes}


def load_settings(path: Path | None) -> Settings:
    if path is None:
        return Settings()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(f"cannot read configuration file {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"configuration file {path} is not valid YAML: {exc}") from exc
    try:
        settings = settings_from_mapping(raw)
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if settings.learned_egress:
        learned_path = path.parent / settings.learned_egress  # relative: next to the config
        detection = replace(settings.detection, **_learned_from(learned_path))
        settings = replace(settings, detection=detection)
    geoip = settings.geoip_dir
    if geoip is not None and not geoip.is_absolute():
        # A relative geoip_dir in a config file means "next to the config file".
        settings = replace(settings, geoip_dir=(path.parent / geoip))
    return settings
