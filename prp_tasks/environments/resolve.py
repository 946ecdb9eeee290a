"""Which environment a ``run`` check gets, and the variables that make it so.

The setting is the check's ``environment``, else its gate's, else the workflow's, else
``initial.md``'s, else ``auto``. Whatever it is, prp-tasks' own virtualenv is not on the check's
PATH and the worker's ``PYTHONPATH``, ``PYTHONHOME`` and ``VIRTUAL_ENV`` do not reach it:

* ``system``: the worker's PATH without prp's virtualenv (plus, only when that PATH has no
  ``python``, a directory linking ``python``/``python3`` to the interpreter prp's virtualenv was
  made from);
* ``venv``: that environment's ``bin`` first on PATH, ``VIRTUAL_ENV`` set, and the workspace's
  import root (:func:`~prp_tasks.environments.layout.import_root`: the folder setuptools is told
  the code is in, ``src/`` of a src layout, else the workspace) on ``PYTHONPATH``, so the project's
  own code is imported from the workspace rather than from an installed copy (not for a mypy
  that finds them from its working directory or its targets: :func:`pythonpath`);
* ``isolated``: the same with an environment built for the project's declarations (cached);
* ``auto``: the repository's ``.venv``/``venv`` (looked up in the user's checkout, not the
  workspace), else ``isolated`` for a Python project, else ``system``.
"""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prp_tasks.core.models import EnvironmentSpec
from prp_tasks.environments import extensions
from prp_tasks.environments.build import system_path
from prp_tasks.environments.layout import import_root
from prp_tasks.environments.owncopy import stale_modules
from prp_tasks.environments.prepare import note as prepare_note
from prp_tasks.environments.prepare import prepare_workspace
from prp_tasks.environments.project import is_python_project, plan
from prp_tasks.environments.projectfiles import EnvironmentSetupError
from prp_tasks.environments.store import EnvironmentStore, Held
from prp_tasks.environments.version_file import ensure_version_files
from prp_tasks.environments.versions import ran_with, tool_of, unpinned
from prp_tasks.processes.spawn import found_program
from prp_tasks.settings import WorkspaceSettings

if TYPE_CHECKING:
    from prp_tasks.checks.base import CheckContext

#: never passed from the worker to a check: they would point Python at prp's own environment
PYTHON_VARS = (
    "PYTHONPATH",
    "PYTHONHOME",
    "VIRTUAL_ENV",
    "PYTHONEXECUTABLE",
    "__PYVENV_LAUNCHER__",
    "CONDA_PREFIX",
)
#: the repository's own environments ``auto`` looks for, in order
REPO_VENVS = (".venv", "venv")


@dataclass(frozen=True)
class Prepared:
    """A check's environment: its variables, its evidence and a line for the output ('' if none)."""

    env: dict[str, str]
    details: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    #: the tool's version and the Python it ran on (``pytest 9.2.0, Python 3.11.7``), '' unknown
    ran: str = ""


class Environments:
    """Chooses and prepares check environments; one per process, safe to share between threads."""

    def __init__(self, settings: WorkspaceSettings) -> None:
        self.settings = settings
        self.store = EnvironmentStore(settings)

    @contextlib.contextmanager
    def prepare(self, ctx: CheckContext, base: Mapping[str, str]) -> Iterator[Prepared]:
        """The check's environment for the block (an isolated one stays in use until it ends);
        EnvironmentSetupError when it cannot be had."""
        spec, origin = effective(ctx)
        use, venv, why = choose(spec, ctx.repo, checkout(ctx))
        details: dict[str, Any] = {"kind": use, "from": origin, "chosen": why}
        if spec.variables:
            details["variables"] = sorted(spec.variables)
        if use == "system":
            yield self._with_prepare(ctx, spec, Prepared({**self.system(base), **spec.variables}, details))
        elif use == "venv":
            assert venv is not None
            ran = ran_with(venv, ctx.check.run or ())
            info = {**details, **describe(venv, ctx), "ran": ran}
            env = {**venv_env(base, venv, ctx), **spec.variables}
            yield self._with_extensions(ctx, spec, Prepared(env, info, "", ran))
        else:
            build = plan(ctx.repo, spec)
            with self.store.hold(build, spec.python, ctx.stop) as held:
                ran = ran_with(held.path, ctx.check.run or ())
                info = {**details, **describe(held.path, ctx), "build": brief(held)}
                loose, bounds = unpinned(spec.packages, ctx.check.run or (), ran)
                if loose:  # (bounds: lower bounds only, ``>=0.6.3``)
                    info |= {"unpinned": loose, "unpinned_bounds": bounds} if bounds else {"unpinned": loose}
                built = note(held)
                env = {**venv_env(base, held.path, ctx), **spec.variables}
                prepared = self._with_extensions(ctx, spec, Prepared(env, info | {"ran": ran}, built, ran))
                # (after the extensions' build: a compiled module built in place is the checkout's)
                if stale := stale_copy(ctx, build.name, held, env):
                    prepared.details["own_copy_imported"] = stale
                yield prepared

    def _with_prepare(self, ctx: CheckContext, spec: EnvironmentSpec, prepared: Prepared) -> Prepared:
        """The version module the project's build writes (:mod:`.version_file`), then ``spec.prepare``
        run once, in the run's workspace (never in a directory of the user's)."""
        if ctx.workdir is None:
            return prepared
        put = ensure_version_files(ctx.repo, checkout(ctx))
        if put:
            prepared.details["version_files"] = put
        if not spec.prepare:
            return prepared
        done = prepare_workspace(
            ctx.repo, spec.prepare, prepared.env, ctx.stop, self.settings.env_build_timeout_s
        )
        said = "\n".join(n for n in (prepared.note, prepare_note(done)) if n)
        return Prepared(prepared.env, {**prepared.details, "prepare": done}, said, prepared.ran)

    def _with_extensions(self, ctx: CheckContext, spec: EnvironmentSpec, prepared: Prepared) -> Prepared:
        """The project's extensions built in the run's workspace (never in a directory of the
        user's: only when the check has a workspace, and runs a tool that imports the code), said
        in the details and the note."""
        if ctx.workdir is None or not spec.extensions or _reads_only(ctx):
            return self._with_prepare(ctx, spec, prepared)
        try:
            done = extensions.build_in_place(
                ctx.repo, prepared.env, ctx.stop, self.settings.env_build_timeout_s
            )
        except OSError as exc:  # a workspace that cannot be written: the check runs without them
            done = {"built": False, "error": f"cannot build in the workspace: {exc.strerror or exc}"}
        if done is None:
            return self._with_prepare(ctx, spec, prepared)
        said = "\n".join(n for n in (prepared.note, extensions.note(done)) if n)
        built = Prepared(prepared.env, {**prepared.details, "extensions": done}, said, prepared.ran)
        return self._with_prepare(ctx, spec, built)

    def system(self, base: Mapping[str, str]) -> dict[str, str]:
        env = without_python_vars(base)
        env["PATH"] = system_path(base.get("PATH", os.defpath))
        if found_program("python", env["PATH"]) is None:
            env["PATH"] += os.pathsep + str(self.store.system_bin())
        return env


def _reads_only(ctx: CheckContext) -> bool:
    """Whether the check's tool only reads the source (:data:`.extensions.UNNEEDED_BY`)."""
    return tool_of(ctx.check.run or ()) in extensions.UNNEEDED_BY


def effective(ctx: CheckContext) -> tuple[EnvironmentSpec, str]:
    """The most specific ``environment`` setting and where it was set."""
    profile_source = ctx.spec.profile.source or "initial.md"
    for spec, origin in (
        (ctx.check.environment, "check"),
        (ctx.gate.environment, "gate"),
        (ctx.spec.workflow.environment, "workflow"),
        (ctx.profile.environment, profile_source),
    ):
        if spec is not None:
            return spec, origin
    return _AUTO, "default"


_AUTO = EnvironmentSpec()


def checkout(ctx: CheckContext) -> Path:
    """Where the repository's own environments live: the user's checkout for a local source (the
    workspace is a worktree or snapshot without them), else the workspace."""
    repo = ctx.spec.repo
    if repo.url is None and repo.path and os.path.isdir(repo.path):
        return Path(repo.path)
    return ctx.repo


def choose(spec: EnvironmentSpec, workspace: Path, source: Path) -> tuple[str, Path | None, str]:
    """(``system``/``venv``/``isolated``, the venv directory, why) for ``spec``."""
    if spec.use == "venv":
        assert spec.venv is not None
        return "venv", existing_venv(source / spec.venv, spec.venv), f"venv: {spec.venv}"
    if spec.use != "auto":
        return spec.use, None, spec.use
    root = str(source)  # (string paths: every check asks, and pathlib costs more than the stat)
    for name in REPO_VENVS:
        if os.path.exists(os.path.join(root, name, "bin", "python")):
            return "venv", source / name, f"auto: the repository's {name}"
    if _python_project(str(workspace)):
        return "isolated", None, "auto: a Python project without its own .venv"
    return "system", None, "auto: not a Python project"


@functools.lru_cache(maxsize=256)
def _python_project(workspace: str) -> bool:
    """:func:`is_python_project`, once per workspace (a run's workspace is its files at submission)."""
    return is_python_project(Path(workspace))


def existing_venv(path: Path, shown: str) -> Path:
    if not path.is_dir():
        raise EnvironmentSetupError(f"venv: {shown}: no such directory in the repository")
    if not (path / "bin" / "python").exists():
        raise EnvironmentSetupError(f"venv: {shown} is not a virtual environment (no working bin/python)")
    return path


def without_python_vars(base: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in base.items() if k not in PYTHON_VARS}


def venv_env(base: Mapping[str, str], venv: Path, ctx: CheckContext) -> dict[str, str]:
    env = without_python_vars(base)
    env["PATH"] = os.pathsep.join([str(venv / "bin"), system_path(base.get("PATH", os.defpath))])
    env["VIRTUAL_ENV"] = str(venv)
    path = pythonpath(ctx)
    if path:
        env["PYTHONPATH"] = path
    return env


def stale_copy(ctx: CheckContext, name: str | None, held: Held, env: Mapping[str, str]) -> list[str]:
    """The project's modules a check imports from the environment's copy of it, installed from
    another run's files (:mod:`.owncopy`): in neither ``PYTHONPATH``, its working directory nor
    the workspace's top."""
    if ctx.workdir is None or not name:
        return []
    places = [ctx.cwd / p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    return stale_modules(held.record, held.path, name, ctx.spec.run_id, [*places, ctx.cwd, ctx.repo])


def describe(venv: Path, ctx: CheckContext) -> dict[str, Any]:
    return {"path": str(venv), "python": str(venv / "bin" / "python"), "pythonpath": pythonpath(ctx)}


def pythonpath(ctx: CheckContext) -> str:
    """The import root, so the project's code is imported from the workspace, except for a mypy
    that finds the project's modules there by itself: mypy takes every directory of PYTHONPATH for
    installed packages and silences the errors of the modules it follows there (furl's
    ``mypy furl/compat.py``: 3 errors in prp-tasks, 7 in the project's own run, whose mypy found
    ``furl/furl.py`` from its working directory)."""
    root = import_root(ctx.repo)
    return "" if _mypy_finds(ctx.check.run or (), root, ctx.cwd) else str(root)


def _mypy_finds(argv: Sequence[str], root: Path, cwd: Path) -> bool:
    """A mypy command that searches ``root`` itself: its working directory, or the top of a
    package or file it is given (``mypy src`` or ``mypy src/pkg/a.py``: mypy adds ``src`` to its
    search path); ``mypy tests`` of a src layout keeps it (the tests import the package)."""
    if tool_of(argv) not in ("mypy", "dmypy"):
        return False
    if root == cwd:
        return True
    for arg in argv[1:]:
        if arg.startswith("-"):
            continue
        path = cwd / arg
        if path.is_relative_to(root) and path.exists():
            return True
    return False


def brief(held: Held) -> dict[str, Any]:
    """The build's evidence: how long it took, what was installed from where (and its log tail
    when this check built it, how long it waited when another check was building it)."""
    record, built = held.record, held.built
    out = {
        k: record.get(k)
        for k in ("key", "installer", "python", "sources", "duration_ms", "installed", "offline")
    }
    out["built_by_this_check"] = built
    out["built_at"] = record.get("created")
    if record.get("own_copy_error"):  # the project's own copy could not be built (cbor2's Rust)
        out["own_copy_error"] = record["own_copy_error"]
    if built:
        out["log_tail"] = record.get("log_tail", "")
    elif held.waited_s >= WAIT_SAID_S:
        out["waited_ms"] = round(held.waited_s * 1000)
    return out


#: a wait for another check's build of the environment that the check's output says (seconds)
WAIT_SAID_S = 1.0


def note(held: Held) -> str:
    """The line a check's output gets about its environment: the build it made, the wait for
    another check's build (a check's time is mostly that wait: cachelib's tests "passed in
    1 min 01 s" for 1.39 s of tests while its lint built the environment), or '' when it was ready."""
    if not held.built:
        waited = held.waited_s
        return f"environment: waited {waited:.1f}s for another check's build" if waited >= WAIT_SAID_S else ""
    record = held.record
    seconds = int(record.get("duration_ms", 0)) / 1000
    count = len(record.get("installed") or ())
    where = " from uv's cache (the package index was unreachable)" if record.get("offline") else ""
    return f"environment: built in {seconds:.1f}s with {record.get('installer')}, {count} packages{where}"
