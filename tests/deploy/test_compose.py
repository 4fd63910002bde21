"""deploy/docker-compose.yml: structure, pinned images, mounts, and what the job is handed."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

import pytest

from correlator import __version__
from correlator.cli import build_parser
from correlator.config import load_settings
from correlator.runconfig import RunSettings, resolve_run_settings
from tests.deploy.kit import (
    COMPOSE,
    DEPLOY,
    REPO,
    bind_mounts,
    command_argv,
    compose,
    environment,
    image_tag,
    is_accepted,
    is_pinned,
    named_volumes,
    session_timeout_s,
    yaml_documents,
)

STACK = compose()
SERVICES: dict[str, Any] = STACK["services"]
CORRELATOR = {name: s for name, s in SERVICES.items() if "build" in s}
STAGES = {"normalize": "normalize", "correlate": "correlate", "keyed": "keyed"}


def _argv(name: str) -> list[str]:
    return command_argv(SERVICES[name]["command"])


def test_the_stack_has_every_service() -> None:
    expected = {"kafka", "kafka-init", "redis", "prometheus", "grafana", *STAGES}
    assert expected | {"simulator", "sim-producer"} <= set(SERVICES)
    assert {"normalize", "correlate", "simulator"} <= set(CORRELATOR)


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_images_are_pinned_to_a_version(name: str) -> None:
    image = SERVICES[name]["image"]
    assert is_pinned(image), f"{name}: {image} is not pinned to a version"


def test_correlator_image_is_built_from_the_kit_and_tagged_with_the_version() -> None:
    for name, service in CORRELATOR.items():
        build = service["build"]
        context = (DEPLOY / build["context"]).resolve()
        assert (context / build["dockerfile"]).resolve() == (DEPLOY / "Dockerfile").resolve()
        assert image_tag(service["image"]) == __version__, name


def test_kafka_runs_in_kraft_mode_without_zookeeper() -> None:
    kafka = SERVICES["kafka"]
    env = environment(kafka)
    assert kafka["image"].startswith("apache/kafka:")
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert env["KAFKA_CONTROLLER_LISTENER_NAMES"] in env["KAFKA_LISTENERS"]
    assert "CLUSTER_ID" in env
    assert not any("ZOOKEEPER" in key for key in env)
    assert "zookeeper" not in SERVICES


@pytest.mark.parametrize("name", sorted(CORRELATOR))
def test_correlator_commands_parse_with_the_real_cli(name: str) -> None:
    args = build_parser().parse_args(_argv(name))
    if name in STAGES:
        assert args.command == "run" and args.stage == STAGES[name]
    else:
        assert args.command == "simulate"


@pytest.mark.parametrize("name", sorted(CORRELATOR))
def test_every_variable_set_for_the_job_is_one_it_reads(name: str) -> None:
    unknown = [key for key in environment(CORRELATOR[name]) if not is_accepted(key)]
    assert not unknown, f"{name} sets variables the job ignores: {unknown}"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_mounted_file_exists(name: str) -> None:
    for source, target in bind_mounts(SERVICES[name]):
        path = (COMPOSE.parent / source).resolve()
        assert path.exists(), f"{name}: mounts {source} at {target}, which does not exist"
        assert path.is_relative_to(REPO), f"{name}: {source} lies outside the repository"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_named_volumes_are_declared(name: str) -> None:
    for volume, _ in named_volumes(SERVICES[name]):
        assert volume in (STACK.get("volumes") or {}), f"{name}: volume {volume} undeclared"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_dependencies_exist_and_use_known_conditions(name: str) -> None:
    depends = SERVICES[name].get("depends_on") or {}
    conditions = {"service_started", "service_healthy", "service_completed_successfully"}
    for other in depends:
        assert other in SERVICES, f"{name} depends on unknown {other}"
        if isinstance(depends, dict):
            assert depends[other]["condition"] in conditions
            if depends[other]["condition"] == "service_healthy":
                assert "healthcheck" in SERVICES[other], f"{other} has no healthcheck"


def _container_files(name: str) -> dict[str, Path]:
    """Container path -> repository file, for the service's file bind mounts."""
    service = SERVICES[name]
    return {t: (COMPOSE.parent / s).resolve() for s, t in bind_mounts(service)}


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stage_settings_resolve(name: str, tmp_path: Path) -> None:
    """The job's own resolution over the compose environment and the mounted config."""
    args = build_parser().parse_args(_argv(name))
    mounted = _container_files(name)
    config = mounted.get(str(args.config))
    settings = load_settings(config) if config else load_settings(None)
    run = resolve_run_settings(vars(args), environment(SERVICES[name]), settings.extra)
    assert run.bootstrap_servers == "kafka:9092"
    assert run.stage == STAGES[name]
    if name in ("correlate", "keyed"):
        assert run.state.startswith("redis://redis:")
    if config is None:  # the simulated tenant's config, written at run time into a volume
        volumes = dict(named_volumes(SERVICES[name]))
        assert any(str(args.config).startswith(target + "/") for target in volumes.values())


def test_the_example_config_is_mounted_where_the_stages_read_it() -> None:
    mounted = _container_files("normalize")
    assert mounted["/etc/correlator/correlator.yaml"] == (DEPLOY / "config" / "correlator.yaml")


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stop_grace_period_exceeds_the_session_timeout(name: str) -> None:
    grace = SERVICES[name]["stop_grace_period"]
    assert grace.endswith("s") and grace[:-1].isdigit(), grace
    assert int(grace[:-1]) > session_timeout_s({})


@pytest.mark.parametrize("name", sorted(STAGES))
def test_stages_run_hardened(name: str) -> None:
    service = SERVICES[name]
    assert service["read_only"] is True and "/tmp" in service["tmpfs"]
    assert service["cap_drop"] == ["ALL"]
    assert str(service["user"]).split(":")[0] == "10001"


def test_prometheus_and_grafana_get_their_provisioning() -> None:
    prometheus = dict((t, s) for s, t in bind_mounts(SERVICES["prometheus"]))
    assert prometheus["/etc/prometheus/prometheus.yml"] == "./prometheus/prometheus.yml"
    grafana = {t for _, t in bind_mounts(SERVICES["grafana"])}
    assert "/etc/grafana/provisioning" in grafana


def test_prometheus_scrapes_both_stages_and_loads_the_mounted_rules() -> None:
    mounted = {t: s for s, t in bind_mounts(SERVICES["prometheus"])}
    (config,) = yaml_documents(COMPOSE.parent / mounted["/etc/prometheus/prometheus.yml"])
    targets = {
        target
        for job in config["scrape_configs"]
        for static in job.get("static_configs", ())
        for target in static["targets"]
    }
    assert {f"{stage}:{RunSettings().metrics_port}" for stage in STAGES} <= targets
    for rules in config.get("rule_files", ()):
        assert str(PurePosixPath("/etc/prometheus", rules)) in mounted, f"{rules} not mounted"


def test_grafana_dashboard_provider_reads_the_mounted_dashboards() -> None:
    mounted = {t: s for s, t in bind_mounts(SERVICES["grafana"])}
    provisioning = COMPOSE.parent / mounted["/etc/grafana/provisioning"]
    providers = [
        provider
        for path in sorted((provisioning / "dashboards").glob("*.y*ml"))
        for doc in yaml_documents(path)
        for provider in doc.get("providers", ())
    ]
    assert providers, "no dashboard provider under deploy/grafana/provisioning/dashboards"
    for provider in providers:
        path = PurePosixPath(provider["options"]["path"])
        sources = [s for t, s in mounted.items() if path.is_relative_to(t)]
        assert sources, f"dashboards path {path} is not mounted"
    datasources = list((provisioning / "datasources").glob("*.y*ml"))
    assert datasources, "no datasource under deploy/grafana/provisioning/datasources"
    urls = [d["url"] for p in datasources for d in yaml_documents(p)[0]["datasources"]]
    assert "http://prometheus:9090" in urls
