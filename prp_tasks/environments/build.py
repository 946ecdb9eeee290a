"""Build one isolated environment: ``uv venv`` + ``uv pip install`` (or ``uv sync`` of a
``uv.lock``), else ``python -m venv`` + ``pip install``; each step a process with a time limit
that a cancelled run stops, its output appended to one log.

Nothing here installs into prp-tasks' own environment: every install names the new environment's
interpreter, and the installers run without prp's ``VIRTUAL_ENV``/``PYTHONPATH``.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from prp_tasks.environments.project import BuildPlan
from prp_tasks.environments.projectfiles import EnvironmentSetupError, normalize, sdist_field, sdist_version
from prp_tasks.environments.reqfiles import requirement_lines
from prp_tasks.environments.seeds import seeds
from prp_tasks.processes.spawn import run_apart, spawn, wait

#: variables an installer may need from the worker (indexes, proxies, certificates, caches)
INSTALLER_ENV = re.compile(
    r"^(PATH|HOME|USER|LOGNAME|LANG|LC_ALL|LC_CTYPE|TMPDIR|TZ|UV_.*|PIP_.*|(?i:https?_proxy|no_proxy|all_proxy)"
    r"|SSL_CERT_FILE|SSL_CERT_DIR|REQUESTS_CA_BUNDLE|CURL_CA_BUNDLE|XDG_CACHE_HOME|XDG_CONFIG_HOME|NETRC)$"
)
#: installer output that means the package index could not be reached
_OFFLINE = re.compile(
    r"Failed to fetch|error sending request|dns error|failed to lookup address|tcp connect error"
    r"|Connection refused|Network is unreachable|NewConnectionError|Failed to establish a new connection"
    r"|Temporary failure in name resolution|Name or service not known|ConnectTimeout|timed out.*connect",
    re.I,
)


@dataclass(frozen=True)
class Installer:
    """``uv`` (with its binary) or ``pip``."""

    name: str
    binary: str | None = None


def choose_installer(setting: str) -> Installer:
    """``uv`` when allowed and found (the ``uv`` package's binary, else ``uv`` on PATH), else ``pip``."""
    if setting in ("auto", "uv"):
        found = find_uv()
        if found:
            return Installer("uv", found)
        if setting == "uv":
            raise EnvironmentSetupError("PRP_WORKSPACE__ENV_INSTALLER is uv, but no uv binary was found")
    return Installer("pip")


@functools.cache
def find_uv() -> str | None:
    try:
        import uv  # the ``uv`` package ships the binary

        return str(uv.find_uv_bin())
    except (ImportError, FileNotFoundError):
        return shutil.which("uv")


def installer_env() -> dict[str, str]:
    """The worker's variables an installer needs, minus prp's own environment."""
    env = {k: v for k, v in os.environ.items() if INSTALLER_ENV.match(k)}
    env["PATH"] = system_path(env.get("PATH", os.defpath))
    env.setdefault("LANG", "C.UTF-8")
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def system_path(path: str) -> str:
    """``path`` without prp-tasks' own virtualenv (its ``bin``) and without an activated one's."""
    return _system_path(path, os.environ.get("VIRTUAL_ENV", ""))


@functools.lru_cache(maxsize=64)
def _system_path(path: str, active: str) -> str:
    own = {os.path.join(sys.prefix, "bin")} if sys.prefix != sys.base_prefix else set()
    if active:
        own.add(os.path.join(active, "bin"))
    own = {os.path.realpath(p) for p in own}
    kept = [p for p in path.split(os.pathsep) if p and os.path.realpath(p) not in own]
    return os.pathsep.join(kept)


def base_python() -> str:
    """The interpreter prp-tasks' virtualenv was made from (this interpreter outside a venv)."""
    base = getattr(sys, "_base_executable", None) or sys.executable
    return base if os.path.exists(base) else sys.executable


@dataclass
class Build:
    """One environment build in progress: its steps run into ``log`` until one fails."""

    plan: BuildPlan
    installer: Installer
    python: str
    target: Path
    log: Path
    stop: threading.Event
    deadline: float
    offline: bool = False
    #: the version the project's own copy is installed as (an unpacked sdist's), see _own_copy
    own_version: str | None = None
    #: why the project's own copy could not be installed (the last error its build said), see _own_copy
    own_copy_error: str | None = None

    def run(self) -> None:
        """Create the environment and install the plan; EnvironmentSetupError with the installer's words."""
        with no_build_leftovers(self.plan.workspace):
            self._run()

    def _run(self) -> None:
        self._create()
        if self.installer.name == "uv" and self.plan.lock:
            self._networked(self._uv_sync(), "uv sync")
        requirements = self._requirements_file()
        if requirements is not None:
            self._install(["-r", str(requirements)])
        self._own_copy()

    def _own_copy(self) -> None:
        """The project itself, without its dependencies (installed already), so its metadata,
        entry points, stubs and plugins are its own: humanize's ``__init__`` asks
        ``importlib.metadata`` for its own version (absent: every test module failed to import),
        and a dependency that needs the project (attrs' tests need jsonschema, whose
        ``referencing`` needs attrs) brings another release of it from the index, which mypy's
        attrs plugin then checked the tests against. Its code is still imported from the
        workspace, first on ``PYTHONPATH``. Best effort: a project that cannot be built this way
        is said in the log, and the environment is used without it."""
        name = self.plan.name
        if self.plan.install_project or name is None:
            return
        pulled = normalize(name) in installed_names(self.target)
        self.own_version = sdist_version(self.plan.workspace)
        if pulled and self.own_version:
            self._resolve_with_own_version(name, self.own_version)
        over = f" over the release of {name} a dependency installed" if pulled else ""
        self._mark(f"installing the project's own copy{over} (--no-deps)")
        argv = ["--no-deps", "--reinstall" if self.installer.name == "uv" else "--force-reinstall"]
        try:
            self._install([*argv, str(self.plan.workspace)])
        except EnvironmentSetupError as exc:
            if exc.message.startswith("stopped:"):
                raise
            first = exc.message.splitlines()[0]
            self.own_copy_error = last_error(self.log)
            self._mark(
                f"the project's own copy is not installed ({first}): its code comes from the workspace"
            )

    def _resolve_with_own_version(self, name: str, version: str) -> None:
        """The requirements resolved again with the project held at its own version, so what
        depends on it fits that version (filelock 3.20.0: its tests' virtualenv needed
        filelock>=3.24.2, and mypy then checked them against a virtualenv its copy does not
        satisfy). Best effort: a version the index does not have leaves the first resolution."""
        requirements = self._requirements_file()
        if requirements is None:
            return
        pinned = self.target.with_name(self.target.name + ".constraints.txt")
        pinned.write_text(f"{name}=={version}\n")
        self._mark(f"resolving again with {name}=={version} (a dependency installed another release)")
        try:
            self._install(["-r", str(requirements), "--constraint", str(pinned)])
        except EnvironmentSetupError as exc:
            if exc.message.startswith("stopped:"):
                raise
            self._mark(f"not resolved with {name}=={version}: {exc.message.splitlines()[0]}")

    def _create(self) -> None:
        if self.installer.name != "uv":
            argv = [_interpreter(self.python), "-m", "venv", str(self.target)]
            self._step(argv, "creating the environment")
            return
        argv = [self._uv, "venv", "--quiet", "--no-project", "--python", self.python, str(self.target)]
        self._networked(argv, "creating the environment")
        # with what `python -m venv` gives, pip (jupyter_core's tests run `pip list`) and below 3.12
        # setuptools, at the interpreter's bundled versions (:mod:`.seeds`); not uv's --seed, whose
        # wheel brings packaging, which Markdown's test_meta then found installed (5 skipped where
        # its own tox env skips 6)
        try:
            self._install(seeds(self.interpreter, venv_version(self.target), installer_env()))
        except EnvironmentSetupError as exc:
            if exc.message.startswith("stopped:"):
                raise
            self._mark("pip could not be installed (no index, nothing cached): the environment has none")

    def _uv_sync(self) -> list[str]:
        argv = [self._uv, "sync", "--frozen", "--no-install-project", "--no-default-groups", "--inexact"]
        argv += [x for g in self.plan.groups for x in ("--group", g)]
        argv += [x for e in self.plan.extras for x in ("--extra", e)]
        return [*argv, "--python", str(self.interpreter)]

    def _requirements_file(self) -> Path | None:
        """Everything else to install, as one requirements file next to the environment."""
        lines = [] if self.installer.name == "uv" and self.plan.lock else list(self.plan.requirements)
        lines += [
            x
            for f in self.plan.files
            for x in requirement_lines(self.plan.workspace / f, self.installer.name)
        ]
        if self.plan.install_project:
            extras = f"[{','.join(self.plan.extras)}]" if self.plan.extras else ""
            lines.append(f"{self.plan.workspace}{extras}")
        lines += self.plan.packages
        if not lines:
            return None
        path = self.target.with_name(self.target.name + ".requirements.txt")
        path.write_text("\n".join(lines) + "\n")
        return path

    def _install(self, args: list[str]) -> None:
        if self.installer.name == "uv":
            argv = [self._uv, "pip", "install", "--python", str(self.interpreter), *args]
        else:
            argv = [str(self.interpreter), "-m", "pip", "install", "--disable-pip-version-check", *args]
        self._networked(argv, "installing")

    def _networked(self, argv: list[str], what: str) -> None:
        """A step that may need the package index; with uv, once more from its cache when the
        index cannot be reached."""
        try:
            self._step(argv, what)
        except EnvironmentSetupError as first:
            if self.installer.name != "uv" or not offline_failure(self.log):
                raise
            self._mark("the package index is unreachable: trying again from uv's cache (--offline)")
            self.offline = True
            try:
                self._step([*argv, "--offline"], f"{what} from uv's cache")
            except EnvironmentSetupError as again:  # the first failure says why (urllib3: a git host)
                retry = again.message.splitlines()[-1] if again.message else ""
                raise EnvironmentSetupError(
                    f"{first.message}\n(from uv's cache it failed too: {retry})"
                ) from None

    @property
    def _uv(self) -> str:
        return self.installer.binary or "uv"

    @property
    def interpreter(self) -> Path:
        return self.target / "bin" / "python"

    def _step(self, argv: list[str], what: str) -> None:
        self._mark(f"$ {' '.join(argv)}")
        fd = os.open(self.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            proc = spawn(argv, str(self.plan.workspace), self._env(), fd, fd)
        except OSError as exc:
            raise EnvironmentSetupError(f"{what}: cannot start {argv[0]}: {exc.strerror or exc}") from None
        finally:
            os.close(fd)
        ended = wait(proc, max(1.0, self.deadline - time.monotonic()), self.stop)
        if ended == "stopped":
            raise EnvironmentSetupError("stopped: run cancelled while building the environment")
        if ended == "timeout":
            raise EnvironmentSetupError(f"{what} timed out (PRP_WORKSPACE__ENV_BUILD_TIMEOUT_S)")
        if proc.returncode != 0:
            raise EnvironmentSetupError(failure_message(self.log, what, proc.returncode))

    def _env(self) -> dict[str, str]:
        env = installer_env()
        version = self.plan.version or self.own_version
        if version:  # an unpacked sdist: its version, not one made up from git
            # for the project only: the global variable also renames every sdist built from the
            # index with setuptools_scm (black==20.8b1 was built as the project's 21.0.0)
            name = self.plan.name or sdist_field(self.plan.workspace, "Name")
            pretend = "SETUPTOOLS_SCM_PRETEND_VERSION"
            env[f"{pretend}_FOR_{re.sub(r'[-_.]+', '_', name).upper()}" if name else pretend] = version
        if self.installer.name == "uv":
            env["UV_PROJECT_ENVIRONMENT"] = str(self.target)
            env.setdefault("UV_NO_PROGRESS", "1")
        return env

    def _mark(self, line: str) -> None:
        with open(self.log, "a", encoding="utf-8") as out:
            out.write(f"[prp] {line}\n")


def _interpreter(python: str) -> str:
    """A path, or a command looked up on the system PATH (never prp's own virtualenv)."""
    if os.sep in python:
        return python
    found = shutil.which(python, path=system_path(os.environ.get("PATH", os.defpath)))
    if not found:
        raise EnvironmentSetupError(f"no interpreter {python!r} on PATH (uv can find versions: install uv)")
    return found


def last_error(log: Path) -> str:
    """What stopped the last step, in one line: the last error its output names (a build backend's
    own, under uv's ``Failed to build `cbor2 @ file://…``` and its causes: ``RuntimeError: can't
    find Rust compiler``, cargo's ``Could not resolve host: index.crates.io``)."""
    lines = [ln.strip() for ln in log_tail(log, 16000).splitlines() if ln.strip()]
    step = max((i for i, ln in enumerate(lines) if ln.startswith("[prp] $")), default=-1)
    lines = lines[step + 1 :]
    said = [ln for ln in lines if _ERROR_LINE.search(ln) and not _WRAPPER_LINE.match(ln)]
    return (said or lines or [""])[-1][:300]


#: a line saying what went wrong; uv's own wrappers around the backend's words are not
_ERROR_LINE = re.compile(r"\berror\b|Error:|could not|cannot|can't|not found", re.I)
_WRAPPER_LINE = re.compile(r"(?:error: Failed to build|cause: |hint: |\[prp\] )", re.I)


def offline_failure(log: Path) -> bool:
    return bool(_OFFLINE.search(log_tail(log, 8000)))


def failure_message(log: Path, what: str, code: int) -> str:
    """The installer's own error: from its first ``error``/``ERROR`` line (at most 12 lines)."""
    lines = [ln.rstrip() for ln in log_tail(log, 16000).splitlines() if ln.strip()]
    last_step = max((i for i, ln in enumerate(lines) if ln.startswith("[prp] $")), default=-1)
    lines = lines[last_step + 1 :]
    start = next((i for i, ln in enumerate(lines) if re.match(r"\s*(error|ERROR)\b", ln)), None)
    shown = lines[start : start + 12] if start is not None else lines[-12:]
    # what the first lines leave out: a compiler's fatal error, uv's hint naming who wanted the
    # package (hyperlink: "typed-ast (v1.4.3) was included because mypy (v0.790) depends on …")
    shown += [ln for ln in lines if _WHY.search(ln) and ln not in shown][-4:]
    reason = "\n".join(shown) or f"exit status {code}"
    tail = "\n".join(lines)
    if _GIT_FAILURE.search(tail):  # urllib3's hypercorn comes from github.com ([tool.uv.sources])
        return (
            f"{what}: a dependency from a git repository could not be fetched (host unreachable?):\n{reason}"
        )
    if _PYTHON_DOWNLOAD.search(tail):  # uv fetches a Python this machine lacks (html5lib's 3.8)
        return (
            f"{what}: the Python it asks for is not on this machine, and downloading one failed "
            f"(host unreachable?); install it, or name an interpreter that is (environment.python):\n{reason}"
        )
    if offline_failure(log):
        return f"{what}: the package index is unreachable (offline?), and no cached copy would do:\n{reason}"
    return f"{what} failed (exit {code}):\n{reason}"


#: uv failing to download a Python build (python-build-standalone), not to reach the package index
_PYTHON_DOWNLOAD = re.compile(r"Failed to download `?https://\S*python-build-standalone", re.I)
_WHY = re.compile(r"^\s*hint:|fatal error:|\bwas included because\b")
_GIT_FAILURE = re.compile(r"fatal: unable to access|Git operation failed|failed to clone|git fetch", re.I)


def log_tail(log: Path, limit: int) -> str:
    try:
        with open(log, "rb") as src:
            src.seek(0, os.SEEK_END)
            size = src.tell()
            src.seek(max(0, size - limit))
            return src.read().decode("utf-8", errors="replace")
    except OSError:
        return ""


def venv_version(target: Path) -> tuple[int, ...]:
    """The Python version of an environment, from its ``pyvenv.cfg`` (``version_info``; uv and
    ``python -m venv`` write it); ``(0,)`` when it says none."""
    try:
        text = (target / "pyvenv.cfg").read_text()
    except OSError:
        return (0,)
    found = re.search(r"^version(?:_info)?\s*=\s*(\d+)\.(\d+)", text, re.MULTILINE)
    return (int(found[1]), int(found[2])) if found else (0,)


def interpreter_id(python: str, installer: Installer) -> str:
    """What identifies the interpreter in an environment's key: its path and version."""
    if installer.name == "uv" and os.sep not in python:
        return f"uv:{python}"  # a version request uv resolves
    return _version_of(_interpreter(python))


@functools.cache
def _version_of(path: str) -> str:
    try:
        out = run_apart([path, "-c", "import sys; print(sys.version)"], timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EnvironmentSetupError(f"cannot run the interpreter {path}: {exc}") from None
    if out.returncode != 0:
        raise EnvironmentSetupError(f"cannot run the interpreter {path}: {out.stderr.strip()[-300:]}")
    return f"{os.path.realpath(path)} {out.stdout.strip()}"


#: what building a project in its own directory leaves there (setuptools: ``build/``, its
#: ``*.egg-info``, ``.eggs/``)
BUILD_LEFTOVERS = ("build", ".eggs", "*.egg-info", "src/*.egg-info")


@contextlib.contextmanager
def no_build_leftovers(workspace: Path) -> Iterator[None]:
    """Remove what the block's builds left in ``workspace`` and was not there before: the checks
    that run there next would see it as the project's (toolz: ruff linted ``build/lib/``, 435
    violations against the checkout's 261)."""
    before = _leftovers(workspace)
    try:
        yield
    finally:
        for path in sorted(_leftovers(workspace) - before):
            shutil.rmtree(path, ignore_errors=True)


def _leftovers(workspace: Path) -> set[Path]:
    return {path for pattern in BUILD_LEFTOVERS for path in workspace.glob(pattern) if path.is_dir()}


def installed_names(target: Path) -> set[str]:
    """The normalized names of the distributions installed in the environment ``target``."""
    return {
        normalize(path.name.partition("-")[0])
        for path in target.glob("lib/python*/site-packages/*.dist-info")
    }


def freeze(installer: Installer, target: Path) -> list[str]:
    """``name==version`` of everything installed in the environment."""
    interpreter = str(target / "bin" / "python")
    if installer.name == "uv":
        argv = [installer.binary or "uv", "pip", "freeze", "--python", interpreter]
    else:
        argv = [interpreter, "-m", "pip", "freeze", "--all"]
    try:
        out = run_apart(argv, timeout=60, env=installer_env())
    except (OSError, subprocess.TimeoutExpired):
        return []
    return [ln for ln in out.stdout.splitlines() if ln.strip()] if out.returncode == 0 else []
