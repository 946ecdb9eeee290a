"""The deployment files under ``infra/`` run only real commands with real settings and files.

Reads docker-compose, the Kubernetes manifests, the systemd units and the examples
(:mod:`tests.unit.infra_files`), then checks every command they run against the Typer app, every
``PRP_*`` variable against :class:`Settings`, and every file they and the docs reference. The
objects themselves (KEDA, deployments, Redis, compose services, units) are checked in
``test_infra_objects.py``. No Docker, Kubernetes, systemd or network needed.
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

import pytest
import typer
from pydantic import BaseModel

from prp_tasks.cli import app
from prp_tasks.errors import ConfigError
from prp_tasks.routing import QUEUE_CLASSES
from prp_tasks.settings import Settings, load_settings, unknown_env_keys
from tests.unit.infra_files import (
    DEPLOYMENT_DOC,
    ENV_EXAMPLE,
    INFRA,
    K8S,
    OPT,
    ROOT,
    SERVICES,
    UNITS,
    compose_env,
    compose_is_project,
    container_env,
    containers,
    is_project_image,
    k8s_kind,
    unit_environment,
    unit_values,
)

#: commands being added to the CLI right now: while one is missing, its checks skip (named)
PENDING_COMMANDS = {"worker-check"}
FLOWER_ARGV = ["-A", "prp_tasks.celeryapp.main", "flower"]
CLI = typer.main.get_command(app)

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


def test_compose_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, service in SERVICES.items():
        if compose_is_project(service):
            env = compose_env(service)
            assert env.get("PRP_REDIS_URL") == "redis://redis:6379/0", name
            validate_env(f"compose:{name}", env, monkeypatch)


def test_k8s_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for config in k8s_kind("ConfigMap"):
        for key, value in (config.get("data") or {}).items():
            assert isinstance(value, str), f"ConfigMap {config['metadata']['name']}: {key} is not a string"
    for doc in k8s_kind("Deployment"):
        for container in containers(doc):
            if is_project_image(container.get("image")):
                env = container_env(container)
                validate_env(f"k8s:{doc['metadata']['name']}", env, monkeypatch)


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
