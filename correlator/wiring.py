"""Assemble the core from settings: the one place that knows which parts go together."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from correlator.config import Settings, load_settings
from correlator.engine.engine import Engine
from correlator.engine.keyed import KeyedEngine, KeyStates
from correlator.engine.repository import UserStates
from correlator.enrich import GeoIpEnricher
from correlator.identity import AliasMap
from correlator.normalize import Normalizer
from correlator.rules import registry
from correlator.rules.base import KeyedRule


def load_cli_settings(config: Path | None, *, geoip_dir: Path | None = None) -> Settings:
    settings = load_settings(config)
    if geoip_dir is not None:
        settings = dataclasses.replace(settings, geoip_dir=geoip_dir)
    return settings


def build_enricher(settings: Settings) -> GeoIpEnricher:
    detection = settings.detection
    return GeoIpEnricher.from_dir(
        settings.geoip_dir,
        corporate_cidrs=detection.corporate_cidrs,
        corporate_asns=detection.corporate_asns,
        intel=settings.intel,
    )


def build_engine(settings: Settings, *, states: UserStates | None = None) -> Engine:
    return Engine(
        settings.detection,
        enricher=build_enricher(settings),
        states=states,
        aliases=AliasMap(settings.aliases),
        rules=registry.select(settings.rules),
    )


def build_keyed_engine(settings: Settings, *, states: KeyStates | None = None) -> KeyedEngine:
    """The keyed stages' engine: the enabled rules keyed by phone number, agent or tenant."""
    rules = [r for r in registry.select(settings.rules) if isinstance(r, KeyedRule)]
    return KeyedEngine(settings.detection, rules, states=states)


def build_normalizer(settings: Settings) -> Normalizer:
    return Normalizer(max_future_ms=settings.max_future_ms, aliases=AliasMap(settings.aliases))
