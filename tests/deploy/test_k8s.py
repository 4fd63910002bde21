"""deploy/k8s: the manifests against what the job reads and serves (no cluster runs here)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from correlator import __version__
from correlator.cli import build_parser
from correlator.config import load_settings
from correlator.runconfig import RunSettings, resolve_run_settings
from tests.deploy.kit import (
    EXAMPLE_CONFIG,
    K8S,
    dockerfile,
    is_accepted,
    is_pinned,
    k8s_objects,
    kind,
    session_timeout_s,
    yaml_documents,
)

OBJECTS = k8s_objects()
DEPLOYMENTS = {d["metadata"]["name"]: d for d in kind(OBJECTS, "Deployment")}
(KUSTOMIZATION,) = yaml_documents(K8S / "kustomization.yaml")
(SECRET,) = yaml_documents(K8S / "secret.example.yaml")
(CONFIGMAP,) = kind(OBJECTS, "ConfigMap")
METRICS_PORT = RunSettings().metrics_port


def _pod(name: str) -> dict[str, Any]:
    return DEPLOYMENTS[name]["spec"]["template"]["spec"]


def _container(name: str) -> dict[str, Any]:
    (container,) = _pod(name)["containers"]
    return container


def _stage(name: str) -> str:
    return DEPLOYMENTS[name]["spec"]["template"]["metadata"]["labels"][
        "app.kubernetes.io/component"
    ]


def test_the_kit_has_every_kind_of_object() -> None:
    kinds = {o["kind"] for o in OBJECTS}
    assert {"Deployment", "ConfigMap", "Service", "PodDisruptionBudget", "Secret"} <= kinds
    assert sorted(_stage(n) for n in DEPLOYMENTS) == ["correlate", "keyed", "normalize"]


def test_kustomization_lists_every_manifest_but_the_secret_example() -> None:
    listed = set(KUSTOMIZATION["resources"])
    on_disk = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk - {"secret.example.yaml"}, "secrets are created, not committed"


def test_configmap_carries_the_example_config_verbatim(tmp_path: Path) -> None:
    text = CONFIGMAP["data"]["correlator.yaml"]
    assert text == EXAMPLE_CONFIG.read_text(encoding="utf-8"), "edit both, or neither"
    (tmp_path / "correlator.yaml").write_text(text)
    load_settings(tmp_path / "correlator.yaml")


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_args_parse_and_read_the_mounted_config(name: str) -> None:
    container = _container(name)
    assert "command" not in container, "keep the image's exec-form entrypoint"
    args = build_parser().parse_args(container["args"])
    assert args.command == "run" and args.stage == _stage(name)
    mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in _pod(name)["volumes"]}
    (config_volume,) = [n for n, v in volumes.items() if "configMap" in v]
    assert volumes[config_volume]["configMap"]["name"] == CONFIGMAP["metadata"]["name"]
    assert args.config == Path(mounts[config_volume]) / "correlator.yaml"


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_every_variable_is_one_the_job_reads(name: str) -> None:
    container = _container(name)
    unknown = [e["name"] for e in container.get("env", ()) if not is_accepted(e["name"])]
    assert not unknown, f"{name} sets variables the job ignores: {unknown}"
    for source in container.get("envFrom", ()):  # every key of the ConfigMap/Secret becomes one
        ref = source.get("configMapRef") or source.get("secretRef")
        keys = _object_keys(ref["name"])
        assert all(is_accepted(source.get("prefix", "") + k) for k in keys), keys


def _object_keys(name: str) -> set[str]:
    for obj in [*OBJECTS, SECRET]:
        if obj["metadata"]["name"] == name:
            return set(obj.get("data") or {}) | set(obj.get("stringData") or {})
    raise AssertionError(f"no ConfigMap or Secret {name}")


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_secret_references_resolve(name: str) -> None:
    secret_name, keys = SECRET["metadata"]["name"], set(SECRET["stringData"])
    for env in _container(name).get("env", ()):
        ref = env.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            assert ref["name"] == secret_name and ref["key"] in keys, env
    for volume in _pod(name)["volumes"]:
        if "secret" in volume:
            assert volume["secret"]["secretName"] == secret_name
            assert {i["key"] for i in volume["secret"].get("items", ())} <= keys


def _file_env(name: str) -> dict[str, str]:
    """``*_FILE`` variables -> the Secret key of the file they name."""
    container, pod = _container(name), _pod(name)
    secret_files: dict[str, str] = {}
    for mount in container["volumeMounts"]:
        (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
        for item in volume.get("secret", {}).get("items", ()):
            secret_files[f"{mount['mountPath']}/{item['path']}"] = item["key"]
    files = {e["name"]: e["value"] for e in container["env"] if e["name"].endswith("_FILE")}
    return {env: secret_files.get(path, "") for env, path in files.items()}


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_file_variables_point_at_mounted_secret_files(name: str) -> None:
    for env, key in _file_env(name).items():
        assert key, f"{name}: {env} names a file no Secret volume mounts"


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_settings_resolve_and_the_clients_accept_them(name: str, tmp_path: Path) -> None:
    """The job's resolution over the env (Secret values from the example) and the ConfigMap;
    then librdkafka itself validates every property (unknown keys or values raise)."""
    from confluent_kafka import Consumer, Producer

    from correlator.runtime.clients import consumer_config, producer_config

    env = _resolved_env(name, tmp_path)
    args = build_parser().parse_args(_container(name)["args"])
    (tmp_path / "correlator.yaml").write_text(CONFIGMAP["data"]["correlator.yaml"])
    settings = load_settings(tmp_path / "correlator.yaml")
    flags = {**vars(args), "config": tmp_path / "correlator.yaml"}
    run = resolve_run_settings(flags, env, settings.extra)
    assert run.stage == _stage(name) and run.bootstrap_servers
    assert run.kafka["sasl.password"] == SECRET["stringData"]["kafka-sasl-password"]
    if run.stage in ("correlate", "keyed"):
        assert run.state == SECRET["stringData"]["redis-url"]
    # Loopback only: the clients are built and closed, never connected anywhere.
    Consumer(consumer_config("127.0.0.1:1", "g", run.kafka)).close()
    Producer(producer_config("127.0.0.1:1", run.kafka)).flush(0)


def _resolved_env(name: str, tmp_path: Path) -> dict[str, str]:
    files = _file_env(name)
    env: dict[str, str] = {}
    for item in _container(name)["env"]:
        ref = item.get("valueFrom", {}).get("secretKeyRef")
        if item["name"] in files:
            path = tmp_path / files[item["name"]]
            path.write_text(SECRET["stringData"][files[item["name"]]] + "\n")
            env[item["name"]] = str(path)
        else:
            env[item["name"]] = SECRET["stringData"][ref["key"]] if ref else item["value"]
    return env


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_probes_hit_the_endpoints_the_job_serves(name: str) -> None:
    container = _container(name)
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports["metrics"] == METRICS_PORT
    expected = {
        "livenessProbe": "/healthz",
        "readinessProbe": "/readyz",
        "startupProbe": "/healthz",
    }
    for probe, path in expected.items():
        get = container[probe]["httpGet"]
        assert get["path"] == path, probe
        assert ports.get(get["port"], get["port"]) == METRICS_PORT, probe


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_grace_period_exceeds_the_consumer_session_timeout(name: str) -> None:
    props = yaml.safe_load(CONFIGMAP["data"]["correlator.yaml"])["kafka"]["properties"]
    for env in _container(name)["env"]:
        if env["name"] == "CORRELATOR_KAFKA_SESSION_TIMEOUT_MS":
            props["session.timeout.ms"] = env["value"]
    assert _pod(name)["terminationGracePeriodSeconds"] > session_timeout_s(props)


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_pods_run_locked_down(name: str) -> None:
    pod, container = _pod(name), _container(name)
    uid = next(i.args for i in reversed(dockerfile()) if i.keyword == "USER").split(":")[0]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert str(pod["securityContext"]["runAsUser"]) == uid, "the image's UID"
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"]["drop"] == ["ALL"]
    assert "/tmp" in {m["mountPath"] for m in container["volumeMounts"]}
    for bound in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][bound]), bound


@pytest.mark.parametrize("name", sorted(DEPLOYMENTS))
def test_images_are_pinned_to_the_release(name: str) -> None:
    image = _container(name)["image"]
    assert is_pinned(image)
    (override,) = KUSTOMIZATION["images"]
    assert image.split(":")[0] == override["name"] and override["newTag"] == __version__


def _matches(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def test_metrics_service_selects_both_stages_on_the_named_port() -> None:
    (service,) = kind(OBJECTS, "Service")
    (port,) = service["spec"]["ports"]
    assert port["name"] == "metrics" and port["port"] == METRICS_PORT
    for name in DEPLOYMENTS:
        labels = DEPLOYMENTS[name]["spec"]["template"]["metadata"]["labels"]
        assert _matches(service["spec"]["selector"], labels), name
        assert port["targetPort"] in {p["name"] for p in _container(name)["ports"]}


def test_each_stage_has_a_disruption_budget() -> None:
    budgets = kind(OBJECTS, "PodDisruptionBudget")
    for name, deployment in DEPLOYMENTS.items():
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        matching = [b for b in budgets if _matches(b["spec"]["selector"]["matchLabels"], labels)]
        assert len(matching) == 1, name
        assert deployment["spec"]["replicas"] > 1, "a budget needs a second replica to help"


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (kustomize) not installed")
def test_kustomize_builds_the_kit() -> None:
    built = subprocess.run(
        ["kubectl", "kustomize", str(K8S)], check=True, capture_output=True, text=True
    ).stdout
    objects = [o for o in yaml.safe_load_all(built) if o]
    assert len(objects) == len(OBJECTS) - 1  # the Secret example is not part of it
    for obj in objects:
        assert obj["metadata"]["labels"]["app.kubernetes.io/part-of"] == "correlator"
        if obj["kind"] != "Namespace":
            assert obj["metadata"]["namespace"] == KUSTOMIZATION["namespace"]
