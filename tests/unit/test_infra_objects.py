"""The deployment objects under ``infra/``: KEDA scaling, Kubernetes deployments and references,
the Redis configurations, docker compose services, systemd units and the examples."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from prp_tasks.approvals.authz import load_roles_file
from prp_tasks.routing import QUEUE_CLASSES, queue_name
from prp_tasks.service.identity import load_tokens_file
from prp_tasks.settings import Settings, load_settings
from tests.unit.infra_files import (
    COMPOSE,
    ENV_EXAMPLE,
    INFRA,
    K8S,
    OPT,
    SERVICES,
    UNITS,
    compose_env,
    compose_is_project,
    config_map,
    container_env,
    containers,
    duration_s,
    k8s_kind,
    load_yaml,
    unit_environment,
    unit_value,
    unit_values,
)

# --- KEDA ---------------------------------------------------------------------------------------


def test_keda_scales_automated_workers_on_their_broker_queue() -> None:
    (scaled,) = k8s_kind("ScaledObject")
    spec = scaled["spec"]
    (target,) = [d for d in k8s_kind("Deployment") if d["metadata"]["name"] == spec["scaleTargetRef"]["name"]]
    (container,) = containers(target)
    assert container["args"][-2:] == ["workers/worker.py", "automated"]
    (trigger,) = spec["triggers"]
    assert trigger["type"] == "redis"
    meta = trigger["metadata"]
    assert all(isinstance(v, str) for v in meta.values()), "KEDA trigger metadata values are strings"
    assert meta["listName"] == queue_name("automated")
    assert int(meta["listLength"]) >= 1
    assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
    assert isinstance(spec["cooldownPeriod"], int)
    # addressFromEnv names an env variable of the target container holding host:port of the Redis
    env = container_env(container)
    address = env[meta["addressFromEnv"]]
    redis_url = urlsplit(env["PRP_REDIS_URL"])
    assert address == f"{redis_url.hostname}:{redis_url.port or 6379}"
    assert meta.get("databaseIndex", "0") == (redis_url.path.strip("/") or "0")


# --- Kubernetes objects -------------------------------------------------------------------------


def worker_class(container: dict[str, Any]) -> str | None:
    argv = [*container.get("command", []), *container.get("args", [])]
    return argv[-1] if len(argv) >= 2 and argv[-2].endswith("workers/worker.py") else None


def test_k8s_deployments_have_probes_resources_and_grace() -> None:
    deployments = k8s_kind("Deployment")
    check_timeout = float(config_map("prp-config").get("PRP_CHECK_TIMEOUT_S", Settings().check_timeout_s))
    seen = set()
    for doc in deployments:
        pod = doc["spec"]["template"]["spec"]
        name = doc["metadata"]["name"]
        assert (
            doc["spec"]["selector"]["matchLabels"].items()
            <= doc["spec"]["template"]["metadata"]["labels"].items()
        ), name
        assert isinstance(pod.get("terminationGracePeriodSeconds"), int), f"{name}: grace period"
        for container in pod["containers"]:
            assert container.get("livenessProbe") and container.get("readinessProbe"), f"{name}: probes"
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][kind]), f"{name}: resources.{kind}"
            queue_class = worker_class(container)
            if queue_class:
                seen.add(queue_class)
                for probe in ("livenessProbe", "readinessProbe"):
                    assert container[probe]["exec"]["command"] == ["prp", "worker-check", queue_class]
            if queue_class == "automated":
                assert pod["terminationGracePeriodSeconds"] >= check_timeout, "warm shutdown of checks"
                cache = container_env(container)["PRP_WORKSPACE__CACHE_DIR"]
                (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == cache]
                (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
                assert "emptyDir" in volume or "persistentVolumeClaim" in volume
            if container["args"][:2] == ["prp", "api"]:
                seen.add("api")
                for probe in ("livenessProbe", "readinessProbe"):
                    assert container[probe]["httpGet"]["path"] == "/healthz"
            if container["args"] == ["prp", "sweeper"]:
                seen.add("sweeper")
    assert seen >= {*QUEUE_CLASSES, "api", "sweeper"}
    assert any(s["spec"]["selector"].get("app.kubernetes.io/component") == "api" for s in k8s_kind("Service"))


def test_k8s_references_resolve() -> None:
    names = {(d["kind"], d["metadata"]["name"]) for _, d in K8S}
    for doc in [*k8s_kind("Deployment"), *k8s_kind("StatefulSet")]:
        pod = doc["spec"]["template"]["spec"]
        for volume in pod.get("volumes", []):
            if "secret" in volume:
                assert ("Secret", volume["secret"]["secretName"]) in names
            if "configMap" in volume:
                assert ("ConfigMap", volume["configMap"]["name"]) in names
        for container in pod["containers"]:
            mounts = {m["name"] for m in container.get("volumeMounts", [])}
            declared = {v["name"] for v in pod.get("volumes", [])}
            declared |= {t["metadata"]["name"] for t in doc["spec"].get("volumeClaimTemplates", [])}
            assert mounts <= declared, doc["metadata"]["name"]
            for source in container.get("envFrom", []):
                if "configMapRef" in source:
                    assert ("ConfigMap", source["configMapRef"]["name"]) in names
    kustomization = load_yaml(INFRA / "k8s" / "kustomization.yaml")
    listed = set(kustomization["resources"])
    on_disk = {p.name for p in (INFRA / "k8s").glob("*.yaml")} - {"kustomization.yaml"}
    # KEDA's CRD may be missing from a cluster: its ScaledObject is applied on its own
    assert listed == on_disk - {"keda-scaledobject.yaml"}


def test_k8s_api_tokens_secret_example_is_valid(tmp_path: Path) -> None:
    (secret,) = [d for d in k8s_kind("Secret") if d["metadata"]["name"] == "prp-api-tokens"]
    tokens = tmp_path / "tokens.yaml"
    tokens.write_text(secret["stringData"]["tokens.yaml"])
    assert load_tokens_file(tokens)


def redis_directives(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition(" ")
            out[key] = value.strip()
    return out


def test_redis_configurations_keep_persistence_and_noeviction() -> None:
    reference = redis_directives((INFRA / "redis" / "redis.conf").read_text())
    assert reference["maxmemory-policy"] == "noeviction" and reference["appendonly"] == "yes"
    network = {"bind", "protected-mode"}
    k8s = redis_directives(config_map("redis-conf")["redis.conf"])
    for key, value in reference.items():
        if key not in network:
            assert k8s.get(key) == value, f"k8s redis.conf: {key}"
    command = SERVICES["redis"]["command"]
    assert command[:2] == ["redis-server", "/usr/local/etc/redis/redis.conf"]
    overrides = command[2:]
    assert {flag.removeprefix("--") for flag in overrides[::2]} <= network, overrides


# --- docker compose -----------------------------------------------------------------------------


def test_compose_services_and_files() -> None:
    expected = {"redis", "api", "sweeper", "flower", "metrics", *(f"worker-{c}" for c in QUEUE_CLASSES)}
    assert expected <= set(SERVICES)
    redis = SERVICES["redis"]
    assert redis["image"].startswith("redis:")
    assert redis["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert any(str(v).endswith(":/data") and not str(v).startswith(".") for v in redis["volumes"])
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            host = str(volume).split(":")[0]
            if host.startswith("."):
                assert (INFRA / host).exists(), f"compose {name}: {host} does not exist"
            else:
                assert host in COMPOSE["volumes"], f"compose {name}: volume {host} not declared"
        if "build" in service:
            build = service["build"]
            context = (INFRA / build["context"]).resolve()
            assert (context / build["dockerfile"]).is_file()
    for secret in COMPOSE.get("secrets", {}).values():
        default = re.sub(r"\$\{[A-Z_]+:-([^}]*)\}", r"\1", secret["file"])
        assert (INFRA / default).is_file(), secret["file"]
        assert load_tokens_file(INFRA / default)


def test_compose_workers_api_and_flower() -> None:
    for queue_class in QUEUE_CLASSES:
        service = SERVICES[f"worker-{queue_class}"]
        assert service["command"] == ["python", "workers/worker.py", queue_class]
        assert service["healthcheck"]["test"] == ["CMD", "prp", "worker-check", queue_class]
        assert service.get("stop_signal", "SIGTERM") == "SIGTERM"
    automated = SERVICES["worker-automated"]
    cache = compose_env(automated)["PRP_WORKSPACE__CACHE_DIR"]
    assert any(str(v).endswith(f":{cache}") for v in automated["volumes"])
    assert duration_s(automated["stop_grace_period"]) >= Settings().check_timeout_s
    api = SERVICES["api"]
    assert api["command"][:2] == ["prp", "api"] and "0.0.0.0" in api["command"]
    assert compose_env(api)["PRP_API__TOKENS_FILE"].startswith("/run/secrets/")
    flower_reads = set(re.findall(r"\b(FLOWER_[A-Z_]+)", (INFRA / "flower" / "flowerconfig.py").read_text()))
    assert {k for k in compose_env(SERVICES["flower"]) if k.startswith("FLOWER_")} <= flower_reads
    flower_unit = unit_environment(UNITS["prp-flower.service"])
    assert {k for k in flower_unit if k.startswith("FLOWER_")} <= flower_reads
    prometheus = load_yaml(INFRA / "prometheus" / "prometheus.yml")
    for job in prometheus["scrape_configs"]:
        for static in job["static_configs"]:
            for target in static["targets"]:
                assert target.split(":")[0] in SERVICES, target


# --- systemd ------------------------------------------------------------------------------------


def test_systemd_units_are_complete() -> None:
    assert {"prp-worker@.service", "prp-api.service", "prp-sweeper.service"} <= set(UNITS)
    assert {"prp-flower.service", "prp-metrics.service"} <= set(UNITS)
    for name, unit in UNITS.items():
        assert unit_value(unit, "Unit", "Description"), name
        assert len(unit_values(unit, "Service", "ExecStart")) == 1, name
        assert unit_value(unit, "Service", "User") == "prp", name
        assert unit_value(unit, "Service", "Restart") == "always", name
        assert unit_value(unit, "Service", "NoNewPrivileges") == "yes", name
        assert unit_value(unit, "Service", "ProtectSystem") == "strict", name
        assert unit_value(unit, "Install", "WantedBy") == "multi-user.target", name
        assert unit_value(unit, "Service", "WorkingDirectory") == str(OPT), name


def test_systemd_worker_template_shuts_down_warm_and_writes_only_its_cache() -> None:
    unit = UNITS["prp-worker@.service"]
    assert unit_value(unit, "Service", "ExecStart") == (f"{OPT}/.venv/bin/python {OPT}/workers/worker.py %i")
    assert unit_value(unit, "Service", "KillSignal") == "SIGTERM"
    assert unit_value(unit, "Service", "KillMode") == "mixed"  # SIGTERM to Celery's main process only
    check_timeout = float(ENV_EXAMPLE.get("PRP_CHECK_TIMEOUT_S", Settings().check_timeout_s))
    assert float(unit_value(unit, "Service", "TimeoutStopSec") or 0) > check_timeout
    assert unit_value(unit, "Service", "PrivateTmp") == "yes"
    cache = (unit_environment(unit) | ENV_EXAMPLE)["PRP_WORKSPACE__CACHE_DIR"]
    writable = " ".join(unit_values(unit, "Service", "ReadWritePaths")).split()
    assert cache in writable


def test_systemd_readme_enables_existing_units() -> None:
    text = (INFRA / "systemd" / "README.md").read_text()
    enable = re.findall(r"systemctl enable --now ([^\n`#]+)", text)
    assert enable and "prp-worker@automated prp-worker@approval prp-worker@control prp-api" in text
    for line in enable:
        for name in line.split():
            base, at, instance = name.partition("@")
            if at:
                assert f"{base}@.service" in UNITS and instance in QUEUE_CLASSES, name
            else:
                assert f"{name}.service" in UNITS, name


def test_examples_parse() -> None:
    assert load_tokens_file(INFRA / "api-tokens.example.yaml")
    assert load_roles_file(INFRA / "systemd" / "roles.example.yaml")
    assert ENV_EXAMPLE["PRP_REDIS_URL"].startswith("redis")


def test_the_sentinel_override_reaches_every_service_and_the_configs_agree(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    override = load_yaml(INFRA / "docker-compose.sentinel.yml")["services"]
    project = {name for name, service in SERVICES.items() if compose_is_project(service)}
    assert project <= set(override), f"services left on the plain Redis: {project - set(override)}"
    for name in project:
        env = compose_env(override[name])
        assert (
            env["PRP_REDIS_URL"].count("sentinel://") == 3 and env["PRP_REDIS_SENTINEL_MASTER"] == "prpmaster"
        )
        for key in [k for k in os.environ if k.startswith("PRP_")]:
            monkeypatch.delenv(key)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        load_settings()  # every PRP_* variable is a setting with a valid value
    sentinel = (INFRA / "redis" / "sentinel.conf").read_text()
    assert "sentinel monitor prpmaster redis-primary 6379 2" in sentinel
    replica = (INFRA / "redis" / "replica.conf").read_text()
    assert "replicaof redis-primary 6379" in replica and "maxmemory-policy noeviction" in replica
    assert "redis-primary" in override["redis"]["networks"]["default"]["aliases"]
