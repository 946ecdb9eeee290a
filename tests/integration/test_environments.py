"""Checks run in a workspace of the user's checkout, in the project's own environment, on real
workers: the checkout is never written, an isolated environment is built once (with uv, or venv +
pip) and reused, and a failed build fails the check with the installer's own words.

Environments are built from a wheel made here (no package index is needed); the uv cache is the
suite's private one.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import os
import subprocess
import sysconfig
import threading
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from prp_tasks.core.models import CheckStatus, EnvironmentSpec
from prp_tasks.core.run import RunStatus
from prp_tasks.core.snapshot import RunSnapshot
from prp_tasks.environments.project import plan
from prp_tasks.environments.store import EnvironmentStore
from prp_tasks.intake.submission import prepare_run
from prp_tasks.intake.workflow_files import parse_workflow
from prp_tasks.service.control import Control
from prp_tasks.settings import WorkspaceSettings
from prp_tasks.workspaces.files import default_cache_dir
from tests.conftest import wait_until

Finish = Callable[..., RunSnapshot]
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@e",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@e",
}


def git(repo: Path, *args: str) -> str:
    env = {**GIT_ENV, "PATH": os.environ["PATH"], "HOME": str(repo)}
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=env
    ).stdout


def status(repo: Path) -> str:
    return git(repo, "status", "--porcelain", "--untracked-files=all")


def workflow(*checks: str, second: str = "") -> str:
    gates = f"  - {{id: A, checks: [{', '.join(checks)}]}}\n"
    if second:
        gates += f"  - {{id: B, depends_on: [A], checks: [{second}]}}\n"
    return f"name: w\ngates:\n{gates}"


def py(name: str, code: str, extra: str = "") -> str:
    return f"{{name: {name}, run: [python, -c, {json.dumps(code)}]{', ' + extra if extra else ''}}}"


def run(control: Control, finish: Finish, repo: Path, text: str) -> RunSnapshot:
    snapshot = finish(control.submit(prepare_run(repo, workflow=parse_workflow(text))), timeout=120)
    workspace = default_cache_dir() / "worktrees" / snapshot.spec.run_id
    wait_until(lambda: not workspace.exists(), timeout=20)  # released when the run finished
    return snapshot


def evidence(snapshot: RunSnapshot, gate: str, check: str) -> dict[str, Any]:
    content: dict[str, Any] = json.loads(snapshot.gates[gate].checks[check].evidence[0].content)
    return content


def test_a_git_checkout_runs_in_a_worktree_with_its_uncommitted_changes_and_stays_as_it_was(
    control: Control, make_repo: Callable[..., Path], finish: Finish
) -> None:
    repo = make_repo({"app.txt": "committed\n", "gone.txt": "x\n", ".gitignore": ".prp/\n"})
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "one")
    (repo / "app.txt").write_text("edited\n")
    (repo / "new.txt").write_text("untracked\n")
    (repo / "gone.txt").unlink()
    before = status(repo)
    writes = (
        "import os, pathlib; print(open('app.txt').read().strip(), open('new.txt').read().strip(), "
        "os.path.exists('gone.txt')); pathlib.Path('coverage.xml').write_text('<coverage/>'); "
        "os.makedirs('__pycache__', exist_ok=True); pathlib.Path('.pytest_cache').write_text('x')"
    )
    reads = py("reads", "print(open('coverage.xml').read())", "needs: [coverage.xml]")
    text = workflow(py("writes", writes, "produces: [coverage.xml]"), second=reads)
    for _ in range(2):  # the second run is as clean as the first
        snapshot = run(control, finish, repo, text)
        assert snapshot.status == RunStatus.PASSED, snapshot.gates
        assert evidence(snapshot, "A", "writes")["stdout_tail"] == "edited untracked False\n"
        assert evidence(snapshot, "B", "reads")["stdout_tail"] == "<coverage/>\n"
        assert status(repo) == before
        assert snapshot.spec.repo.path == str(repo) and snapshot.spec.repo.dirty
    assert git(repo, "worktree", "list", "--porcelain").count("worktree ") == 1  # registration removed


def test_a_directory_that_is_not_a_git_checkout_runs_in_a_snapshot(
    control: Control, make_repo: Callable[..., Path], finish: Finish
) -> None:
    repo = make_repo({"data.txt": "mine\n", ".venv/marker": "", "node_modules/dep/index.js": ""})
    before = sorted(str(p.relative_to(repo)) for p in repo.rglob("*"))
    code = (
        "import os; print(open('data.txt').read().strip(), os.path.exists('.venv'), "
        "os.path.islink('node_modules')); open('data.txt', 'w').write('changed'); open('out.txt', 'w')"
    )
    snapshot = run(control, finish, repo, workflow(py("c", code)))
    assert evidence(snapshot, "A", "c")["stdout_tail"] == "mine False True\n"
    after = sorted(str(p.relative_to(repo)) for p in repo.rglob("*") if ".prp" not in p.parts)
    assert after == before and (repo / "data.txt").read_text() == "mine\n"


# isolated environments ---------------------------------------------------------------------------


def tiny_wheel(
    folder: Path, name: str = "tinydep", where: str = "tiny", version: str = "1.0", requires: str = ""
) -> Path:
    """A pure-Python wheel with one module, written by hand (``requires``: one Requires-Dist)."""
    return write_wheel(folder, name, version, {f"{name}.py": f"WHERE = {where!r}\n"}, requires)


def write_wheel(folder: Path, name: str, version: str, files: dict[str, str], requires: str = "") -> Path:
    info = f"{name}-{version}.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
    files = {
        **files,
        f"{info}/METADATA": metadata + (f"Requires-Dist: {requires}\n" if requires else ""),
        f"{info}/WHEEL": "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [f"{n},sha256={_b64(hashlib.sha256(t.encode()).digest())},{len(t)}" for n, t in files.items()]
    files[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,"]) + "\n"
    path = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        for entry, text in files.items():
            wheel.writestr(entry, text)
    return path


def _b64(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def python_project(make_repo: Callable[..., Path], requirement: str) -> Path:
    return make_repo(
        {
            "pyproject.toml": "[project]\nname = 'proj'\nversion = '1'\ndependencies = []\n",
            "requirements-test.txt": requirement + "\n",
            "src/proj/__init__.py": "NAME = 'own'\n",
        }
    )


def test_an_isolated_environment_is_built_once_for_concurrent_checks_and_reused(
    control: Control, make_repo: Callable[..., Path], finish: Finish, tmp_path: Path
) -> None:
    repo = python_project(make_repo, str(tiny_wheel(tmp_path)))
    code = "import sys, tinydep, proj; print(tinydep.WHERE, proj.NAME, proj.__file__, sys.prefix)"
    text = workflow(py("one", code), py("two", code), py("three", code))
    first = run(control, finish, repo, text)
    assert first.status == RunStatus.PASSED, {c: r.output for c, r in first.gates["A"].checks.items()}
    found = [evidence(first, "A", c) for c in ("one", "two", "three")]
    builds = [e["environment"]["build"] for e in found]
    assert [b["built_by_this_check"] for b in builds].count(True) == 1  # the others waited for it
    assert len({b["key"] for b in builds}) == 1 and any(
        p.startswith("tinydep") for p in builds[0]["installed"]
    )
    # pip (and setuptools below 3.12) as `python -m venv` gives them: the interpreter's bundled
    # wheels (Deprecated's tests import pkg_resources, which the index's latest setuptools lacks)
    bundled = Path(sysconfig.get_path("stdlib")) / "ensurepip" / "_bundled"
    for wheel in sorted(bundled.glob("*.whl")) if bundled.is_dir() else []:
        name, version = wheel.name.split("-")[:2]
        said = (f"{name}=={version}", f"{name} @ {wheel.as_uri()}")
        assert any(p in said for p in builds[0]["installed"]), builds[0]["installed"]
    built = next(b for b in builds if b["built_by_this_check"])
    assert (
        "[prp] $" in built["log_tail"]
        and built["duration_ms"] > 0
        and "requirements-test.txt" in built["sources"]
    )
    words = found[0]["stdout_tail"].split()
    # the own module from the checkout (its path in the workspace, shown relative), the rest installed
    assert words[:3] == ["tiny", "own", "src/proj/__init__.py"] and "/envs/" in words[3]
    second = run(control, finish, repo, text)  # another run: the same environment, not built again
    again = [evidence(second, "A", c)["environment"]["build"] for c in ("one", "two", "three")]
    assert {b["key"] for b in again} == {builds[0]["key"]} and not any(
        b["built_by_this_check"] for b in again
    )
    assert importlib.util.find_spec("tinydep") is None  # nothing went into prp-tasks' own environment


#: a PEP 517 backend in the project's tree: no build requirement (so no package index); builds the
#: ``selfdep`` 1.0 wheel of ``src/selfdep/__init__.py``
IN_TREE_BACKEND = """
import base64, hashlib, zipfile
from pathlib import Path

def get_requires_for_build_wheel(config_settings=None):
    return []

def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    Path("build/lib/selfdep").mkdir(parents=True, exist_ok=True)  # as setuptools leaves them
    Path("src/selfdep.egg-info").mkdir(exist_ok=True)
    info = "selfdep-1.0.dist-info"
    files = {
        "selfdep/__init__.py": Path("src/selfdep/__init__.py").read_text(),
        info + "/METADATA": "Metadata-Version: 2.1\\nName: selfdep\\nVersion: 1.0\\n",
        info + "/WHEEL": "Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n",
    }
    digest = lambda t: base64.urlsafe_b64encode(hashlib.sha256(t.encode()).digest()).rstrip(b"=").decode()
    record = [f"{n},sha256={digest(t)},{len(t)}" for n, t in files.items()] + [info + "/RECORD,,"]
    files[info + "/RECORD"] = "\\n".join(record) + "\\n"
    name = "selfdep-1.0-py3-none-any.whl"
    with zipfile.ZipFile(Path(wheel_directory) / name, "w") as wheel:
        for entry, text in files.items():
            wheel.writestr(entry, text)
    return name
"""


def test_a_release_of_the_project_that_a_dependency_brings_is_replaced_by_its_own_copy(
    control: Control,
    make_repo: Callable[..., Path],
    finish: Finish,
    tmp_path: Path,
) -> None:
    # attrs' case: its tests need jsonschema, whose dependency ``referencing`` needs attrs: the
    # environment got attrs 26 from the index, and mypy's attrs plugin checked the tests against it
    index = tmp_path / "index"
    index.mkdir()
    tiny_wheel(index, "needsself", requires="selfdep")
    tiny_wheel(index, "selfdep", where="index", version="9.9")  # "the latest release"
    repo = make_repo(
        {
            "pyproject.toml": "[build-system]\nrequires = []\nbuild-backend = 'backend'\n"
            "backend-path = ['_build']\n\n[project]\nname = 'selfdep'\nversion = '1.0'\ndependencies = []\n",
            "_build/backend.py": IN_TREE_BACKEND,
            "requirements-test.txt": f"--no-index\n--find-links {index}\nneedsself\n",
            "src/selfdep/__init__.py": "WHERE = 'own'\n",
        }
    )
    code = "import importlib.metadata as m, selfdep, needsself; print(m.version('selfdep'), selfdep.WHERE)"
    snapshot = run(control, finish, repo, workflow(py("c", code)))
    found = evidence(snapshot, "A", "c")
    assert snapshot.status == RunStatus.PASSED, found
    assert found["stdout_tail"].split() == ["1.0", "own"]
    build = found["environment"]["build"]
    assert "selfdep==1.0" in " ".join(build["installed"]) or any(
        p.startswith("selfdep @ ") for p in build["installed"]
    ), build["installed"]
    assert (
        "installing the project's own copy over the release of selfdep a dependency installed"
        in build["log_tail"]
    )


def test_what_depends_on_the_project_is_resolved_to_fit_its_own_version(
    control: Control,
    make_repo: Callable[..., Path],
    finish: Finish,
    tmp_path: Path,
) -> None:
    """filelock 3.20.0: its tests' virtualenv (latest: needs filelock>=3.24.2) brought filelock
    4.3.2; its own copy then replaced it, leaving a virtualenv it does not satisfy."""
    index = tmp_path / "index"
    index.mkdir()
    tiny_wheel(index, "needsself", where="old", version="1.0", requires="selfdep")
    tiny_wheel(index, "needsself", where="new", version="2.0", requires="selfdep>=9")
    tiny_wheel(index, "selfdep", where="index", version="9.9")
    tiny_wheel(index, "selfdep", where="index", version="1.0")
    repo = make_repo(
        {
            "pyproject.toml": "[build-system]\nrequires = []\nbuild-backend = 'backend'\n"
            "backend-path = ['_build']\n\n[project]\nname = 'selfdep'\nversion = '1.0'\ndependencies = []\n",
            "PKG-INFO": "Metadata-Version: 2.1\nName: selfdep\nVersion: 1.0\n\n",
            "_build/backend.py": IN_TREE_BACKEND,
            "requirements-test.txt": f"--no-index\n--find-links {index}\nneedsself\n",
            "src/selfdep/__init__.py": "WHERE = 'own'\n",
        }
    )
    code = "import needsself, selfdep; print(needsself.WHERE, selfdep.WHERE)"
    snapshot = run(control, finish, repo, workflow(py("c", code)))
    found = evidence(snapshot, "A", "c")
    assert snapshot.status == RunStatus.PASSED, found
    assert found["stdout_tail"].split() == ["old", "own"]  # needsself 1.0, which selfdep 1.0 fits
    assert "resolving again with selfdep==1.0" in found["environment"]["build"]["log_tail"]


def test_the_project_finds_its_own_metadata_in_its_environment(
    control: Control, make_repo: Callable[..., Path], finish: Finish
) -> None:
    """humanize: ``__version__ = importlib.metadata.version("humanize")`` in its ``__init__``; the
    project was not installed, and every test module failed to import."""
    repo = make_repo(
        {
            "pyproject.toml": "[build-system]\nrequires = []\nbuild-backend = 'backend'\n"
            "backend-path = ['_build']\n\n[project]\nname = 'selfdep'\nversion = '1.0'\ndependencies = []\n",
            "_build/backend.py": IN_TREE_BACKEND,
            "src/selfdep/__init__.py": "import importlib.metadata as m\n__version__ = m.version('selfdep')\n",
        }
    )
    code = (
        "import selfdep, importlib.util as u; "
        "print(selfdep.__version__, u.find_spec('pip') is not None, u.find_spec('wheel') is not None)"
    )
    snapshot = run(control, finish, repo, workflow(py("c", code)))
    found = evidence(snapshot, "A", "c")
    assert snapshot.status == RunStatus.PASSED, found
    # and pip is there, as in a `python -m venv` (jupyter_core's tests run `pip list`), and not
    # wheel, which brings packaging (Markdown's test_meta ran where its tox env skips it)
    assert found["stdout_tail"] == "1.0 True False\n"


def test_building_the_project_leaves_nothing_in_its_directory_but_what_was_there(tmp_path: Path) -> None:
    """toolz: installing the project from the workspace left setuptools' ``build/lib/`` there, and
    the lint check then linted that copy too (435 violations against the checkout's 261)."""
    index = tmp_path / "index"
    index.mkdir()
    tiny_wheel(index, "needsself", requires="selfdep")
    tiny_wheel(index, "selfdep", where="index", version="9.9")
    repo = tmp_path / "repo"
    files = {
        "pyproject.toml": "[build-system]\nrequires = []\nbuild-backend = 'backend'\n"
        "backend-path = ['_build']\n\n[project]\nname = 'selfdep'\nversion = '1.0'\ndependencies = []\n",
        "_build/backend.py": IN_TREE_BACKEND,
        "requirements-test.txt": f"--no-index\n--find-links {index}\nneedsself\n",
        "src/selfdep/__init__.py": "WHERE = 'own'\n",
        "build/mine.txt": "the user's own build directory\n",
    }
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    store = EnvironmentStore(WorkspaceSettings(cache_dir=tmp_path / "cache"))
    with store.hold(plan(repo, EnvironmentSpec()), None, threading.Event()) as held:
        assert "installing the project's own copy" in held.record["log_tail"]  # it built
    assert not (repo / "src" / "selfdep.egg-info").exists()
    assert sorted(p.name for p in (repo / "build").iterdir()) == ["lib", "mine.txt"]  # (was there)


def test_a_failed_build_fails_the_check_with_the_installers_error(
    control: Control, make_repo: Callable[..., Path], finish: Finish, tmp_path: Path
) -> None:
    repo = python_project(make_repo, str(tmp_path / "missing-1.0-py3-none-any.whl"))
    snapshot = run(control, finish, repo, workflow(py("c", "print('never')")))
    result = snapshot.gates["A"].checks["c"]
    assert (snapshot.status, result.status) == (RunStatus.FAILED, CheckStatus.FAIL)
    assert result.output.startswith("environment setup failed: installing failed (exit")
    assert "missing-1.0-py3-none-any.whl" in result.output and "never" not in result.output


def test_an_unreachable_package_index_is_named(
    control: Control, make_repo: Callable[..., Path], finish: Finish, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UV_INDEX_URL", "http://127.0.0.1:9/simple")  # nothing listens there
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
    repo = python_project(make_repo, "prp-no-such-package-anywhere")
    snapshot = run(control, finish, repo, workflow(py("c", "print('never')")))
    output = snapshot.gates["A"].checks["c"].output
    assert output.startswith("environment setup failed: installing"), output
    assert "the package index is unreachable (offline?)" in output


def test_a_module_of_the_project_missing_after_its_own_build_failed_says_why(
    control: Control, make_repo: Callable[..., Path], finish: Finish
) -> None:
    """cbor2: its Rust extension could not be built (no network for its crates); the tests failed
    on ``No module named 'cbor2._cbor2'`` and only the environment's log said the build had failed."""
    backend = (
        "def build_wheel(*args, **kwargs):\n    raise RuntimeError('error: can not find Rust compiler')\n"
    )
    repo = make_repo(
        {
            "pyproject.toml": "[build-system]\nrequires = []\nbuild-backend = 'backend'\n"
            "backend-path = ['_build']\n\n[project]\nname = 'rusty'\nversion = '1.0'\ndependencies = []\n",
            "_build/backend.py": backend,
            "src/rusty/__init__.py": "",
        }
    )
    snapshot = run(control, finish, repo, workflow(py("c", "import rusty._native")))
    found = evidence(snapshot, "A", "c")
    assert snapshot.status == RunStatus.FAILED
    assert "can not find Rust compiler" in found["environment"]["build"]["own_copy_error"]
    second = snapshot.gates["A"].checks["c"].output.split("\n")[1]
    assert second.startswith(
        "the project's own module 'rusty._native' could not be imported, and its own copy could not be "
        "built in the checks' environment ("
    ), second
