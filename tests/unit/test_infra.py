"""The deployment files under ``infra/`` run only real commands with real settings and files.

Parses docker-compose, the Kubernetes manifests (multi-document YAML), the systemd units (a small
INI reader that keeps repeated keys, as systemd does) and the examples, then checks every command
they run against the Typer app, every ``PRP_*`` variable against :class:`Settings`, the KEDA
trigger against the broker queue name, and every file they reference. No Docker, Kubernetes,
systemd or network needed.
"""

from __future__ import annotations

import os
import re
import shlex
import types
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import typer
import yaml
from pydantic import BaseModel

from prp_tasks.approvals.authz import load_roles_file
from prp_tasks.celery_app import queue_name
from prp_tasks.cli import app
from prp_tasks.errors import ConfigError
from prp_tasks.identity import load_tokens_file
from prp_tasks.settings import QUEUE_CLASSES, Settings, load_settings, unknown_env_keys

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
DEPLOYMENT_DOC = ROOT / "docs" / "deployment.md"
#: where the systemd units expect the repository and its virtualenv
OPT = PurePosixPath("/opt/prp-tasks")
#: commands being added to the CLI right now: while one is missing, its checks skip (named)
PENDING_COMMANDS = {"worker-check"}
PROJECT_IMAGE = "prp-tasks"
FLOWER_ARGV = ["-A", "prp_tasks.celery_main", "flower"]
CLI = typer.main.get_command(app)


# --- readers ------------------------------------------------------------------------------------


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


# --- every command the files run ----------------------------------------------------------------


@dataclass(frozen=True)
class Invocation:
    where: str
    argv: tuple[str, ...]


def _compose_invocations() -> Iterator[Invocation]:
    for name, service in SERVICES.items():
        if not compose_is_project(service):
            continue
        command = service.get("command")
        assert isinstance(command, list), f"compose {name}: command must be an exec-form list"
        yield Invocation(f"compose:{name}:command", tuple(command))
        test = (service.get("healthcheck") or {}).get("test")
        if isinstance(test, list) and test[:1] == ["CMD"] and test[1:2] == ["prp"]:
            yield Invocation(f"compose:{name}:healthcheck", tuple(test[1:]))


def _k8s_invocations() -> Iterator[Invocation]:
    for file, doc in K8S:
        if doc.get("kind") not in {"Deployment", "StatefulSet", "DaemonSet", "Job"}:
            continue
        for container in containers(doc):
            if not is_project_image(container.get("image")):
                continue
            where = f"k8s:{file}:{doc['metadata']['name']}:{container['name']}"
            argv = [*container.get("command", []), *container.get("args", [])]
            yield Invocation(f"{where}:args", tuple(argv))
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                command = ((container.get(probe) or {}).get("exec") or {}).get("command")
                if command:
                    yield Invocation(f"{where}:{probe}", tuple(command))


def _systemd_invocations() -> Iterator[Invocation]:
    for name, unit in UNITS.items():
        for line in unit_values(unit, "Service", "ExecStart"):
            argv = shlex.split(line.lstrip("-@+!:"))
            instances = QUEUE_CLASSES if name.endswith("@.service") else ("",)
            for instance in instances:
                yield Invocation(
                    f"systemd:{name}:{instance or 'ExecStart'}",
                    tuple(a.replace("%i", instance) for a in argv),
                )


INVOCATIONS = [*_compose_invocations(), *_k8s_invocations(), *_systemd_invocations()]


def _is_group(command: Any) -> bool:
    return hasattr(command, "commands")


def resolve_prp(args: list[str]) -> tuple[list[str], Any, list[str]]:
    """Walk ``prp`` subcommands: (path, command, remaining args). Skips while a command is pending."""
    node, path, rest = CLI, [], list(args)
    while _is_group(node) and rest and rest[0] in node.commands:
        path.append(rest[0])
        node = node.commands[rest.pop(0)]
    if not path and rest and rest[0] in PENDING_COMMANDS:
        pytest.skip(f"`prp {rest[0]}` is not in the CLI yet (PENDING_COMMANDS)")
    assert path, f"`prp {' '.join(args)}`: no such subcommand (known: {', '.join(sorted(CLI.commands))})"
    if _is_group(node) and not getattr(node, "invoke_without_command", False):
        assert rest and not rest[0].startswith("-"), f"`prp {' '.join(path)}` needs a subcommand"
        pytest.fail(f"`prp {' '.join(path)} {rest[0]}`: no such subcommand")
    return path, node, rest


def check_prp(args: list[str]) -> None:
    path, command, rest = resolve_prp(args)
    options = {p_opt: p for p in command.params if p.param_type_name == "option" for p_opt in p.opts}
    options |= {o: p for p in command.params if p.param_type_name == "option" for o in p.secondary_opts}
    arguments = [p for p in command.params if p.param_type_name == "argument"]
    positional = []
    tokens = iter(rest)
    for token in tokens:
        if token.startswith("-"):
            name, eq, _ = token.partition("=")
            assert name in options, f"`prp {' '.join(path)}` has no option {name} (has {sorted(options)})"
            if not options[name].is_flag and not eq:
                assert next(tokens, None) is not None, f"`prp {' '.join(path)} {name}` needs a value"
        else:
            positional.append(token)
    assert len(positional) <= len(arguments), f"`prp {' '.join(path)}`: extra arguments {positional}"
    if path == ["worker-check"]:
        assert positional, "`prp worker-check` needs the queue class"
        check_classes(positional[0])


def check_classes(value: str) -> None:
    classes = [c for c in value.split(",") if c]
    assert classes, "no queue class"
    for queue_class in classes:
        assert queue_class in QUEUE_CLASSES, f"unknown queue class {queue_class!r} (known: {QUEUE_CLASSES})"


def repo_path(arg: str) -> Path:
    """A path as a unit (under /opt/prp-tasks) or a container (relative to WORKDIR) names it."""
    path = PurePosixPath(arg)
    if path.is_absolute():
        assert path.is_relative_to(OPT), f"{arg} is not under {OPT}"
        path = path.relative_to(OPT)
    return ROOT / path


def check_argv(argv: tuple[str, ...]) -> None:
    assert argv, "empty command"
    program = PurePosixPath(argv[0])
    if program.is_absolute():
        assert program.parent == OPT / ".venv" / "bin", f"{program}: not the project's virtualenv"
    name = program.name
    if name == "prp":
        check_prp(list(argv[1:]))
    elif name in {"python", "python3"}:
        assert len(argv) == 3, f"expected `python workers/worker.py CLASS`, got {argv}"
        assert PurePosixPath(argv[1]).as_posix().endswith("workers/worker.py"), argv
        assert repo_path(argv[1]).is_file(), f"{argv[1]} does not exist"
        check_classes(argv[2])
    elif name == "celery":
        assert list(argv[1:4]) == FLOWER_ARGV and len(argv) == 5, f"not the flower command: {argv}"
        conf = argv[4].removeprefix("--conf=")
        assert argv[4].startswith("--conf=") and conf.endswith("infra/flower/flowerconfig.py"), argv
        assert repo_path(conf).is_file(), f"{conf} does not exist"
    else:
        pytest.fail(f"{' '.join(argv)}: not a prp, workers/worker.py or flower command")


@pytest.mark.parametrize("invocation", INVOCATIONS, ids=[i.where for i in INVOCATIONS])
def test_every_command_exists(invocation: Invocation) -> None:
    check_argv(invocation.argv)


def test_commands_were_found() -> None:
    wheres = {i.where.split(":")[0] for i in INVOCATIONS}
    assert wheres == {"compose", "k8s", "systemd"}
    runs = {" ".join(i.argv[-2:]) for i in INVOCATIONS if "worker.py" in " ".join(i.argv)}
    assert {f"workers/worker.py {c}" for c in QUEUE_CLASSES} <= runs


# --- every PRP_* variable is a setting ----------------------------------------------------------


def _field_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in {typing.Union, types.UnionType}:
        models = [m for m in map(_field_model, typing.get_args(annotation)) if m is not None]
        return models[0] if len(models) == 1 else None
    return None


def setting_problem(name: str) -> str | None:
    """Why ``name`` is no setting (None if it is); ``PRP_QUEUES__`` (a prefix) is fine."""
    if unknown_env_keys({name: ""}):
        return f"{name}: unknown setting"
    model: type[BaseModel] | None = Settings
    for segment in name[len("PRP_") :].lower().split("__"):
        if not segment:
            return None  # a prefix, as in PRP_QUEUES__<CLASS>__CONCURRENCY
        if model is None:
            return f"{name}: {segment!r} is below a plain value"
        field = model.model_fields.get(segment)
        if field is None:
            return f"{name}: {model.__name__} has no field {segment!r} (has {', '.join(model.model_fields)})"
        model = _field_model(field.annotation)
    return None


def validate_env(where: str, env: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Names (unknown_env_keys and nested fields) and values (load_settings) of one process's env."""
    prp = {k: v for k, v in env.items() if k.startswith("PRP_")}
    assert prp, f"{where}: no PRP_* settings"
    assert unknown_env_keys(prp) == [], where
    problems = [p for p in map(setting_problem, prp) if p]
    assert not problems, f"{where}: {problems}"
    for key, value in prp.items():
        assert isinstance(value, str), f"{where}: {key} must be a string, got {value!r}"
    with monkeypatch.context() as patch:
        for key in [k for k in os.environ if k.startswith("PRP_")]:
            patch.delenv(key)
        for key, value in prp.items():
            patch.setenv(key, value)
        try:
            load_settings()
        except ConfigError as exc:
            pytest.fail(f"{where}: {exc}")


def compose_env(service: dict[str, Any]) -> dict[str, Any]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.partition("=")[::2] for item in env)
    return {k: v if isinstance(v, str) else str(v) for k, v in env.items()}


def test_compose_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, service in SERVICES.items():
        if compose_is_project(service):
            env = compose_env(service)
            assert env.get("PRP_REDIS_URL") == "redis://redis:6379/0", name
            validate_env(f"compose:{name}", env, monkeypatch)


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


def test_k8s_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for config in k8s_kind("ConfigMap"):
        for key, value in (config.get("data") or {}).items():
            assert isinstance(value, str), f"ConfigMap {config['metadata']['name']}: {key} is not a string"
    for doc in k8s_kind("Deployment"):
        for container in containers(doc):
            if is_project_image(container.get("image")):
                env = container_env(container)
                validate_env(f"k8s:{doc['metadata']['name']}", env, monkeypatch)


def unit_environment(unit: dict[str, list[tuple[str, str]]]) -> dict[str, str]:
    env = {}
    for line in unit_values(unit, "Service", "Environment"):
        for item in shlex.split(line):
            key, _, value = item.partition("=")
            env[key] = value
    return env


def test_systemd_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, unit in UNITS.items():
        env_files = unit_values(unit, "Service", "EnvironmentFile")
        assert "/etc/prp-tasks/env" in env_files, f"{name}: EnvironmentFile=/etc/prp-tasks/env"
        # the file's values win over Environment= (systemd reads it after)
        validate_env(f"systemd:{name}", unit_environment(unit) | ENV_EXAMPLE, monkeypatch)


def test_every_prp_name_mentioned_is_a_setting() -> None:
    """Comments, READMEs and docs/deployment.md included: no setting that does not exist."""
    files = [p for p in INFRA.rglob("*") if p.is_file() and p.suffix not in {".pyc"}]
    files.append(DEPLOYMENT_DOC)
    problems = []
    for path in files:
        for name in set(re.findall(r"\bPRP_[A-Z0-9_]+", path.read_text(encoding="utf-8"))):
            problem = setting_problem(name)
            if problem:
                problems.append(f"{path.relative_to(ROOT)}: {problem}")
    assert not problems


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


# --- referenced files and documentation ---------------------------------------------------------


def test_referenced_files_exist() -> None:
    for path in ("redis/redis.conf", "flower/flowerconfig.py", "Dockerfile", "Dockerfile.dockerignore"):
        assert (INFRA / path).is_file(), path
    dockerfile = (INFRA / "Dockerfile").read_text()
    for source in re.findall(r"^COPY\s+(.+?)\s+\S+$", dockerfile, flags=re.M):
        for item in source.split():
            assert (ROOT / item).exists(), f"Dockerfile copies {item}, which does not exist"
    texts = [p for p in INFRA.rglob("*") if p.suffix in {".md", ".yaml", ".yml", ".service"}]
    for path in [*texts, DEPLOYMENT_DOC]:
        for ref in re.findall(r"\binfra/[A-Za-z0-9_./@-]*[A-Za-z0-9_]", path.read_text()):
            assert (ROOT / ref).exists(), f"{path.relative_to(ROOT)} mentions {ref}, which does not exist"


def doc_commands(text: str) -> Iterator[str]:
    """``prp …`` commands in fenced code blocks and inline code of a markdown text."""
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = line.strip().removeprefix("$ ")
            if line.startswith("prp "):
                yield line.split("#")[0]
    yield from re.findall(r"`(prp [^`]+)`", text)


def test_docs_use_existing_commands() -> None:
    assert DEPLOYMENT_DOC.is_file()
    commands = []
    for path in (DEPLOYMENT_DOC, INFRA / "systemd" / "README.md"):
        commands += list(doc_commands(path.read_text()))
    assert commands
    for command in commands:
        words = [w for w in command.split() if re.fullmatch(r"[a-z][a-z-]*", w)][1:3]
        node: Any = CLI
        for word in words:
            if not _is_group(node) or word not in node.commands:
                break
            node = node.commands[word]
        if node is CLI and words and words[0] in PENDING_COMMANDS:
            continue
        assert node is not CLI, f"docs: `{command}` names no prp subcommand"
