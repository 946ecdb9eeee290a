"""Reading the deployment files under ``infra/`` for the infra tests: systemd units (an INI reader
that keeps repeated keys, as systemd does), env files, YAML and the Kubernetes manifests."""

from __future__ import annotations

import re
import shlex
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
DEPLOYMENT_DOC = ROOT / "docs" / "deployment.md"
#: where the systemd units expect the repository and its virtualenv
OPT = PurePosixPath("/opt/prp-tasks")
PROJECT_IMAGE = "prp-tasks"


def read_unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """A systemd unit: section -> [(key, value)], repeated keys kept in order, continuations joined."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = pending + raw.strip()
        pending = ""
        if line.endswith("\\"):
            pending = line[:-1] + " "
            continue
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        assert current is not None, f"{path.name}: {line!r} outside a section"
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not key=value: {line!r}"
        current.append((key.strip(), value.strip()))
    return sections


def unit_values(unit: dict[str, list[tuple[str, str]]], section: str, key: str) -> list[str]:
    return [v for k, v in unit.get(section, []) if k == key]


def unit_value(unit: dict[str, list[tuple[str, str]]], section: str, key: str) -> str | None:
    values = unit_values(unit, section, key)
    return values[-1] if values else None


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=VALUE lines (shell-like quoting, as systemd's EnvironmentFile); comments skipped."""
    env = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not KEY=VALUE: {line!r}"
        parts = shlex.split(value)
        env[key.strip()] = parts[0] if parts else ""
    return env


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def k8s_docs() -> list[tuple[str, dict[str, Any]]]:
    docs = []
    for path in sorted((INFRA / "k8s").glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if doc and doc.get("kind") != "Kustomization":  # kustomize's file, not an object
                docs.append((path.name, doc))
    return docs


COMPOSE: dict[str, Any] = load_yaml(INFRA / "docker-compose.yml")
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
K8S = k8s_docs()
UNIT_FILES = sorted((INFRA / "systemd").glob("*.service"))
UNITS = {path.name: read_unit(path) for path in UNIT_FILES}
ENV_EXAMPLE = read_env_file(INFRA / "systemd" / "env.example")


def k8s_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for _, doc in K8S if doc.get("kind") == kind]


def config_map(name: str) -> dict[str, Any]:
    found = [d for d in k8s_kind("ConfigMap") if d["metadata"]["name"] == name]
    assert len(found) == 1, f"ConfigMap {name} defined {len(found)} times"
    return found[0].get("data") or {}


def containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = doc["spec"]["template"]["spec"]
    return [*spec.get("initContainers", []), *spec["containers"]]


def is_project_image(image: str | None) -> bool:
    return bool(image) and PurePosixPath(image.split(":")[0]).name == PROJECT_IMAGE


def compose_is_project(service: dict[str, Any]) -> bool:
    return "build" in service or is_project_image(service.get("image"))


def duration_s(value: str) -> float:
    """Compose durations: 1m30s, 11m, 45s."""
    units = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|h|m|s)", value)
    assert parts and "".join(n + u for n, u in parts) == value, f"bad duration {value!r}"
    return sum(float(n) * units[u] for n, u in parts)


def compose_env(service: dict[str, Any]) -> dict[str, Any]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {k: v if isinstance(v, str) else str(v) for k, v in env.items()}


def container_env(container: dict[str, Any]) -> dict[str, Any]:
    env: dict[str, Any] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env |= config_map(source["configMapRef"]["name"])
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = item["value"]
        elif "configMapKeyRef" in item.get("valueFrom", {}):
            ref = item["valueFrom"]["configMapKeyRef"]
            env[item["name"]] = config_map(ref["name"])[ref["key"]]
        else:
            env[item["name"]] = "from-a-secret"
    return env


def unit_environment(unit: dict[str, list[tuple[str, str]]]) -> dict[str, str]:
    env = {}
    for line in unit_values(unit, "Service", "Environment"):
        for item in shlex.split(line):
            key, _, value = item.partition("=")
            env[key] = value
    return env
