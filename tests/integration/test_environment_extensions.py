"""A project's C extensions are built in place in the run's workspace (once per workspace, never
in the user's checkout) so its tests use them; a build that fails is said and the check still runs;
``extensions: false`` leaves them unbuilt."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from prp_tasks.core.models import CheckStatus
from prp_tasks.core.run import RunStatus
from prp_tasks.environments.extensions import _build, build_error
from prp_tasks.service.control import Control
from tests.integration.test_environments import Finish, evidence, py, run, workflow

SPEED_C = """#include <Python.h>
static PyObject *answer(PyObject *self, PyObject *args) { return PyLong_FromLong(42); }
static PyMethodDef methods[] = {{"answer", answer, METH_NOARGS, ""}, {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_speed", NULL, -1, methods};
PyMODINIT_FUNC PyInit__speed(void) { return PyModule_Create(&module); }
"""
SETUP_PY = """from setuptools import Extension, setup
setup(
    name="fastpkg", version="1.0", packages=["fastpkg"], package_dir={"": "src"},
    ext_modules=[Extension("fastpkg._speed", ["src/fastpkg/_speed.c"])],
)
"""


@pytest.fixture(scope="module")
def seeded_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One virtualenv with setuptools (from ensurepip) for the extension projects' own .venv."""
    if shutil.which("cc") is None:
        pytest.skip("no C compiler (cc) on PATH")
    venv = tmp_path_factory.mktemp("seeded") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    if subprocess.run([venv / "bin" / "python", "-c", "import setuptools"], check=False).returncode != 0:
        pytest.skip("this Python's venv is not seeded with setuptools (3.12+)")
    return venv


def extension_project(make_repo: Callable[..., Path], c_source: str, venv: Path) -> Path:
    """A src-layout project with one C extension and its own .venv (a link to ``venv``)."""
    repo = make_repo({"setup.py": SETUP_PY, "src/fastpkg/__init__.py": "", "src/fastpkg/_speed.c": c_source})
    (repo / ".venv").symlink_to(venv, target_is_directory=True)
    return repo


def test_a_projects_c_extension_is_built_in_the_workspace_and_its_tests_use_it(
    control: Control, make_repo: Callable[..., Path], finish: Finish, seeded_venv: Path
) -> None:
    # MarkupSafe: PYTHONPATH=src hid the built _speedups, and 17 of its 53 tests were skipped
    repo = extension_project(make_repo, SPEED_C, seeded_venv)
    code = "import fastpkg._speed as s; print(s.answer())"
    text = workflow(py("one", code), py("two", code))
    snapshot = run(control, finish, repo, text)
    found = {c: evidence(snapshot, "A", c) for c in ("one", "two")}
    assert snapshot.status == RunStatus.PASSED, found
    assert [f["stdout_tail"] for f in found.values()] == ["42\n", "42\n"]
    builds = [f["environment"]["extensions"] for f in found.values()]
    assert [b["built_by_this_check"] for b in builds].count(True) == 1  # once per workspace
    assert all(b["built"] for b in builds)
    outputs = [snapshot.gates["A"].checks[c].output for c in ("one", "two")]
    assert sum("extensions: built in place" in o for o in outputs) == 1
    assert any(m.startswith("src/fastpkg/_speed") for b in builds for m in b["modules"])
    assert not list((repo / "src").rglob("*.so")) and not (repo / "build").exists()  # the user's files


def test_a_check_whose_tool_only_reads_the_source_does_not_build_or_wait_for_the_extensions(
    control: Control, make_repo: Callable[..., Path], finish: Finish, seeded_venv: Path
) -> None:
    """lz4: its flake8 check, 1.6 s, waited 47 s for another check's build of its C extensions,
    which flake8 never imports (and "passed in 1 min 17 s" said nothing of that wait)."""
    repo = extension_project(make_repo, SPEED_C, seeded_venv)
    (repo / "flake8").write_text("#!/bin/sh\necho linted\n")
    (repo / "flake8").chmod(0o755)
    snapshot = run(control, finish, repo, workflow('{name: lint, run: ["./flake8", "src"]}'))
    assert snapshot.status == RunStatus.PASSED
    found = evidence(snapshot, "A", "lint")
    assert found["stdout_tail"] == "linted\n" and "extensions" not in found["environment"], found


OPTIONAL_SETUP_PY = """from setuptools import setup
try:
    from Cython.Build import cythonize
    ext_modules = cythonize(["src/fastpkg/speed.py"])
except ImportError:
    print("WARNING: Cython not installed, could not optimize fastpkg.")
    ext_modules = []
setup(name="fastpkg", version="1.0", packages=["fastpkg"], package_dir={"": "src"}, ext_modules=ext_modules)
"""


def test_a_build_that_makes_no_module_is_not_said_to_have_built(
    control: Control, make_repo: Callable[..., Path], finish: Finish, seeded_venv: Path
) -> None:
    """python-box compiles with Cython only when it can import it: the evidence said "extensions:
    built in place" where nothing was built and the checks ran the pure-Python code."""
    repo = make_repo(
        {"setup.py": OPTIONAL_SETUP_PY, "src/fastpkg/__init__.py": "", "src/fastpkg/speed.py": ""}
    )
    (repo / ".venv").symlink_to(seeded_venv, target_is_directory=True)
    snapshot = run(control, finish, repo, workflow(py("c", "print('ran')")))
    result = snapshot.gates["A"].checks["c"]
    assert result.status == CheckStatus.PASS, result.output
    assert "built in place" not in result.output
    assert "and made no module (WARNING: Cython not installed, could not optimize fastpkg.)" in result.output
    assert evidence(snapshot, "A", "c")["environment"]["extensions"]["modules"] == []


def test_an_extension_that_does_not_build_is_said_and_the_check_still_runs(
    control: Control, make_repo: Callable[..., Path], finish: Finish, seeded_venv: Path
) -> None:
    repo = extension_project(make_repo, "this is not C\n", seeded_venv)
    snapshot = run(control, finish, repo, workflow(py("c", "print('ran')")))
    result = snapshot.gates["A"].checks["c"]
    assert result.status == CheckStatus.PASS, result.output
    assert "extensions: not built in place (exited, exit 1" in result.output
    built = evidence(snapshot, "A", "c")["environment"]["extensions"]
    assert built["built"] is False and "error" in built["log_tail"].lower()


def test_extensions_false_leaves_the_extension_unbuilt(
    control: Control, make_repo: Callable[..., Path], finish: Finish, seeded_venv: Path
) -> None:
    repo = extension_project(make_repo, SPEED_C, seeded_venv)
    code = "import fastpkg._speed"
    snapshot = run(control, finish, repo, workflow(py("c", code, "environment: {extensions: false}")))
    found = evidence(snapshot, "A", "c")
    assert snapshot.gates["A"].checks["c"].status == CheckStatus.FAIL  # the sources only: no module
    assert "extensions" not in found["environment"] and "No module named" in found["stderr_tail"]


def test_modules_an_earlier_build_made_in_the_workspace_are_said_built(
    control: Control, make_repo: Callable[..., Path], finish: Finish, seeded_venv: Path
) -> None:
    """multidict: its requirements install the workspace (``-e .``), whose build made its C
    modules there; the build in place then made none new and said "made no module: the checks
    run the pure-Python code" while its C tests ran."""
    repo = extension_project(make_repo, SPEED_C, seeded_venv)
    build = [str(repo / ".venv/bin/python"), "setup.py", "build_ext", "--inplace"]
    subprocess.run(build, cwd=repo, check=True, capture_output=True)
    assert list((repo / "src").rglob("*.so"))  # (the workspace is a snapshot of these files)
    snapshot = run(control, finish, repo, workflow(py("c", "import fastpkg._speed as s; print(s.answer())")))
    result = snapshot.gates["A"].checks["c"]
    assert result.status == CheckStatus.PASS, result.output
    assert "made no module" not in result.output and "extensions: built in place" in result.output
    assert evidence(snapshot, "A", "c")["environment"]["extensions"]["present"]


def test_a_test_run_whose_extensions_do_not_compile_fails_naming_the_compilers_error_first(
    control: Control, make_repo: Callable[..., Path], finish: Finish, seeded_venv: Path
) -> None:
    """ujson: tests that passed on an earlier build's copy made the run "ready-for-release";
    xxhash: tests that failed said only "No module named 'xxhash._xxhash'" on the terminal."""
    repo = extension_project(make_repo, "static int broken = ;\n", seeded_venv)
    (repo / "tests").mkdir()
    (repo / "tests/test_pure.py").write_text(
        "import unittest\nclass T(unittest.TestCase):\n    def test_a(self): pass\n"
    )
    (repo / "tests/test_ext.py").write_text("import unittest\nimport fastpkg._speed\n")
    checks = [f"{{name: {name}, run: [python, -m, unittest, tests.test_{name}]}}" for name in ("pure", "ext")]
    snapshot = run(control, finish, repo, workflow(*checks))
    for name in ("pure", "ext"):
        result = snapshot.gates["A"].checks[name]
        first = result.output.split("\n")[0]
        assert result.status == CheckStatus.FAIL, result.output
        assert first.startswith(
            "the project's extensions do not compile in this checkout (src/fastpkg/_speed.c:1"
        )
        assert first.endswith("compiled code") and "exit " in result.output.split("\n")[1]
    assert snapshot.status == RunStatus.FAILED


OPTIONAL_BUILD_PY = """from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
class Optional(build_ext):
    def run(self):
        try:
            build_ext.run(self)
        except Exception as exc:
            print("WARNING: the C extension could not be compiled:", exc)
setup(
    name="fastpkg", version="1.0", packages=["fastpkg"], package_dir={"": "src"},
    ext_modules=[Extension("fastpkg._speed", ["src/fastpkg/_speed.c"])], cmdclass={"build_ext": Optional},
)
"""


def test_a_build_that_swallows_its_compile_error_is_not_said_to_have_built(
    control: Control, make_repo: Callable[..., Path], finish: Finish, seeded_venv: Path
) -> None:
    """lazy-object-proxy's ``OptionalBuildExt``: its build exits 0 over a C error; the evidence
    said ``built: true`` (no module made) and its failing tests named only the missing module."""
    repo = make_repo(
        {
            "setup.py": OPTIONAL_BUILD_PY,
            "src/fastpkg/__init__.py": "",
            "src/fastpkg/_speed.c": "static int broken = ;\n",
        }
    )
    (repo / ".venv").symlink_to(seeded_venv, target_is_directory=True)
    snapshot = run(control, finish, repo, workflow(py("c", "print('ran')")))
    result = snapshot.gates["A"].checks["c"]
    assert "extensions: not built in place (exited, exit 0: src/fastpkg/_speed.c:1:" in result.output
    assert evidence(snapshot, "A", "c")["environment"]["extensions"]["built"] is False


def test_a_failed_build_names_its_first_compiler_error_not_the_last_its_log_tail_keeps(
    tmp_path: Path, seeded_venv: Path
) -> None:
    """mmh3 5.1.0 with three undeclared names: the note named mmh3module.c:744, the last, where gcc's
    first error is at 167 (the log's tail kept only the end of a long log)."""
    filler = "".join(f"static int pad{n} = {n}; /* {'x' * 60} */\n" for n in range(200))
    broken = SPEED_C.replace("return PyLong_FromLong(42);", "return PyLong_FromLong(first_undeclared);")
    source = broken + filler + "".join(f"int use{n}(void) {{ return undeclared_{n}; }}\n" for n in range(40))
    project = tmp_path / "p"
    (project / "src" / "fastpkg").mkdir(parents=True)
    (project / "setup.py").write_text(SETUP_PY)
    (project / "src" / "fastpkg" / "__init__.py").write_text("")
    (project / "src" / "fastpkg" / "_speed.c").write_text(source)
    env = {"PATH": f"{seeded_venv / 'bin'}:/usr/bin:/bin", "HOME": str(tmp_path)}
    done = _build(project, env, threading.Event(), 120, tmp_path / "extensions.log")
    assert done["built"] is False
    assert "first_undeclared" not in done["log_tail"]  # the tail lost it
    assert build_error(done).startswith("src/fastpkg/_speed.c:2: ") and "first_undeclared" in build_error(
        done
    )
