"""Check environments (``prp_tasks.environments``): the setting, what a project declares, which
environment a check gets. No environment is built here (see tests/integration/test_environments.py)."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from prp_tasks.checks import execute
from prp_tasks.checks.base import CheckContext
from prp_tasks.core.models import CheckSpec, CheckStatus, EnvironmentSpec, GateSpec, Workflow
from prp_tasks.core.profile import EnforcementProfile, ResolvedProfile
from prp_tasks.core.run import Blueprint, RepoInfo, RunSpec
from prp_tasks.environments.build import Build, Installer, system_path, venv_version
from prp_tasks.environments.project import BuildPlan, flatten_group, plan
from prp_tasks.environments.projectfiles import EnvironmentSetupError, select
from prp_tasks.environments.resolve import choose, effective
from prp_tasks.intake.workflow_files import parse_workflow

BASE = getattr(sys, "_base_executable", sys.executable)


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


# the setting ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "use", "venv"),
    [
        ("auto", "auto", None),
        ("system", "system", None),
        ({"venv": ".venv"}, "venv", ".venv"),
        ({"use": "isolated", "packages": ["pytest-cov"]}, "isolated", None),
    ],
)
def test_the_setting_takes_a_name_or_a_mapping(value: Any, use: str, venv: str | None) -> None:
    spec = EnvironmentSpec.model_validate(value)
    assert (spec.use, spec.venv) == (use, venv)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("conda", "Input should be 'auto', 'system', 'venv' or 'isolated'"),
        ({"venv": "../elsewhere"}, "not a plain relative path"),
        ({"use": "venv"}, "'venv: PATH' goes with use: venv"),
        ({"use": "system", "packages": ["x"]}, "use: system takes no extras"),
    ],
)
def test_a_bad_setting_is_refused_naming_the_field(value: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        EnvironmentSpec.model_validate(value)


def test_a_workflow_file_sets_it_per_workflow_gate_and_check_and_the_most_specific_wins() -> None:
    workflow = parse_workflow(
        "name: w\nenvironment: system\ngates:\n"
        "  - id: A\n    environment: {venv: env}\n    checks:\n"
        "      - {name: own, run: [x], environment: isolated}\n      - {name: gates, run: [x]}\n"
        "  - id: B\n    checks: [{name: flows, run: [x]}]\n"
    )
    found = {
        c.name: effective(context(Path("/r"), workflow, g.id, c.name))
        for g in workflow.gates
        for c in g.checks
    }
    assert {k: (s.use, origin) for k, (s, origin) in found.items()} == {
        "own": ("isolated", "check"),
        "gates": ("venv", "gate"),
        "flows": ("system", "workflow"),
    }


def test_initial_md_sets_it_when_the_workflow_does_not() -> None:
    workflow = parse_workflow("name: w\ngates: [{id: A, checks: [{name: c, run: [x]}]}]\n")
    profile = ResolvedProfile(
        profile=EnforcementProfile(environment=EnvironmentSpec(use="system")), source="initial.md"
    )
    spec, origin = effective(context(Path("/r"), workflow, "A", "c", profile=profile))
    assert (spec.use, origin) == ("system", "initial.md")
    assert effective(context(Path("/r"), workflow, "A", "c"))[0].use == "auto"


def test_a_built_in_check_takes_no_environment() -> None:
    with pytest.raises(ValidationError, match="environment applies to 'run' checks only"):
        CheckSpec(name="c", builtin="blueprint-validation", environment=EnvironmentSpec())


# what a project declares -----------------------------------------------------------------------------


def test_a_pyproject_gives_its_dependencies_test_extras_and_test_groups(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pyproject.toml": """
[project]
name = "p"
dependencies = ["requests>=2"]
[project.optional-dependencies]
Tests = ["pytest"]
docs = ["sphinx"]
dev = ["tox"]
[dependency-groups]
lint = ["ruff"]
testing = [{include-group = "lint"}, "hypothesis"]
"""
        },
    )
    built = plan(tmp_path, EnvironmentSpec())
    assert (built.extras, built.groups) == (("Tests",), ("testing",))
    assert built.requirements == ("requests>=2", "pytest", "ruff", "hypothesis")
    assert not built.install_project and not built.lock


def test_an_extra_naming_the_project_itself_stands_for_that_extras_requirements(tmp_path: Path) -> None:
    """attrs 23.2: ``tests = ["attrs[tests-no-zope]", "zope.interface"]``. Installed as written,
    ``attrs[...]`` is another attrs from the index (without that extra); it stands for the
    project's own extra, recursively, with its marker."""
    write(
        tmp_path,
        {
            "pyproject.toml": """
[project]
name = "Attrs"
dependencies = []
[project.optional-dependencies]
tests-mypy = ["mypy>=1.6"]
tests-no-zope = ["hypothesis", "attrs[tests-mypy]; python_version >= '3.8'"]
tests = ["attrs[tests-no-zope]", "zope.interface", "other[x]"]
cov = ["attrs[tests]", "coverage"]
"""
        },
    )
    built = plan(tmp_path, EnvironmentSpec())
    assert built.extras == ("tests",)
    assert built.requirements == (
        "hypothesis",
        'mypy>=1.6; python_version >= "3.8"',
        "zope.interface",
        "other[x]",
    )
    assert plan(tmp_path, EnvironmentSpec(extras=("cov",))).requirements[-1] == "coverage"


def test_the_tests_directorys_requirements_are_installed(tmp_path: Path) -> None:
    """packaging 24 lists what its tests need in tests/requirements.txt (pytest, pretend)."""
    write(tmp_path, {"pyproject.toml": "[project]\nname='p'\n", "tests/requirements.txt": "pretend\n"})
    built = plan(tmp_path, EnvironmentSpec())
    assert built.files == ("tests/requirements.txt",) and "tests/requirements.txt" in built.declared


def test_a_requirement_file_named_for_pytest_is_the_tests_own(tmp_path: Path) -> None:
    """multidict's requirements/pytest.txt: dev.txt was installed (sphinx, pre-commit, towncrier:
    57 packages) where its CI installs ci.txt, pytest.txt and the project."""
    files = {"requirements/dev.txt": "-r pytest.txt\nsphinx\n", "requirements/pytest.txt": "pytest\n"}
    write(tmp_path, {"pyproject.toml": "[project]\nname='p'\n", **files})
    assert plan(tmp_path, EnvironmentSpec()).files == ("requirements/pytest.txt",)
    write(tmp_path, {"requirements/test.txt": "pytest\nhypothesis\n"})  # a test file still wins
    assert plan(tmp_path, EnvironmentSpec()).files == ("requirements/test.txt",)


def test_dev_is_taken_only_when_no_test_extra_exists() -> None:
    assert select(["docs", "dev"], None, "extra") == ["dev"]
    assert select(["dev", "test", "testing"], None, "extra") == ["test", "testing"]
    assert select(["docs"], None, "extra") == []


def test_named_extras_must_exist(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "[project]\nname='p'\n[project.optional-dependencies]\nfull=['x']\n"})
    assert plan(tmp_path, EnvironmentSpec(extras=("full",))).requirements == ("x",)
    with pytest.raises(EnvironmentSetupError, match="the project has no extra 'tests' \\(it has: full\\)"):
        plan(tmp_path, EnvironmentSpec(extras=("tests",)))


def test_a_group_that_includes_itself_is_an_error() -> None:
    with pytest.raises(EnvironmentSetupError, match="includes itself"):
        flatten_group({"a": [{"include-group": "b"}], "b": [{"include-group": "a"}]}, "a")


def test_setup_py_projects_are_installed_with_requirements_and_test_files(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "setup.py": "",
            "setup.cfg": "[options]\ninstall_requires =\n    six\n",
            "requirements/tests.txt": "pytest\n",
            "requirements/docs.txt": "sphinx\n",
            "requirements.txt": "attrs\n",
        },
    )
    built = plan(tmp_path, EnvironmentSpec())
    assert built.install_project and built.requirements == ("six",)
    assert built.files == ("requirements.txt", "requirements/tests.txt")


def test_a_project_only_setup_py_declares_gets_its_test_extra_and_the_extras_named(tmp_path: Path) -> None:
    """pathvalidate: ``extras_require={"docs": …, "test": TESTS_REQUIRES}`` in setup.py, which is
    all it declares; its tests' dependencies were never installed, and ``extras: [test]`` in
    initial.md was silently ignored (the environment's key did not change)."""
    setup = (
        'setup(\n    extras_require={\n        "docs": docs_requires,\n        "test": TESTS,\n    },\n)\n'
    )
    write(tmp_path, {"setup.py": setup})
    built = plan(tmp_path, EnvironmentSpec())
    assert built.install_project and built.extras == ("test",)
    assert "setup.py extras: test" in built.sources
    assert plan(tmp_path, EnvironmentSpec(extras=("docs",))).extras == ("docs",)
    with pytest.raises(EnvironmentSetupError, match="no extra 'tests'"):
        plan(tmp_path, EnvironmentSpec(extras=("tests",)))
    write(
        tmp_path,
        {"setup.py": "setup(extras_require=EXTRAS)\n", "PKG-INFO": "Name: p\nProvides-Extra: test\n"},
    )
    assert plan(tmp_path, EnvironmentSpec()).extras == ("test",)  # an sdist's PKG-INFO lists them
    (tmp_path / "PKG-INFO").unlink()
    assert plan(tmp_path, EnvironmentSpec(extras=("all",))).extras == ("all",)  # computed: as named


def test_the_key_changes_with_the_declarations_and_the_interpreter_only(tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "[project]\nname='p'\ndependencies=[]\n", "src/p.py": "x = 1\n"})
    key = plan(tmp_path, EnvironmentSpec()).key("py3.11", "uv")
    write(tmp_path, {"src/p.py": "x = 2\n"})
    assert plan(tmp_path, EnvironmentSpec()).key("py3.11", "uv") == key  # code is not a declaration
    assert plan(tmp_path, EnvironmentSpec()).key("py3.12", "uv") != key
    write(tmp_path, {"requirements-test.txt": "pytest\n"})
    assert plan(tmp_path, EnvironmentSpec()).key("py3.11", "uv") != key


# which environment a check gets -------------------------------------------------------------------


def test_auto_prefers_the_checkouts_own_venv_then_isolated_then_system(tmp_path: Path) -> None:
    checkout, workspace = tmp_path / "checkout", tmp_path / "workspace"
    write(workspace, {"pyproject.toml": "[project]\nname='p'\n"})
    checkout.mkdir()
    assert choose(EnvironmentSpec(), workspace, checkout)[0] == "isolated"
    assert choose(EnvironmentSpec(), checkout, checkout)[0] == "system"
    (checkout / "venv" / "bin").mkdir(parents=True)
    (checkout / "venv" / "bin" / "python").symlink_to(BASE)
    assert choose(EnvironmentSpec(), workspace, checkout)[:2] == ("venv", checkout / "venv")


def test_system_path_drops_prp_tasks_own_virtualenv() -> None:
    own = os.path.join(sys.prefix, "bin")
    assert system_path(os.pathsep.join([own, "/usr/bin", own])) == "/usr/bin"


def test_a_check_uses_the_repositorys_venv_from_the_checkout_and_imports_the_workspaces_code(
    tmp_path: Path,
) -> None:
    """The workspace (a worktree) has no ``.venv``: it is looked up in the user's checkout, while the
    project's own code comes from the workspace's ``src`` through PYTHONPATH."""
    checkout, workspace = tmp_path / "checkout", tmp_path / "workspace"
    write(checkout, {"pyproject.toml": "[project]\nname='p'\n"})
    (checkout / ".venv" / "bin").mkdir(parents=True)
    (checkout / ".venv" / "bin" / "python").symlink_to(BASE)
    write(
        workspace,
        {"pyproject.toml": "[project]\nname='p'\n", "src/mypkg/__init__.py": "WHERE = 'workspace'\n"},
    )
    code = (
        "import os, sys, mypkg; print(sys.executable); print(os.environ['VIRTUAL_ENV']); print(mypkg.WHERE)"
    )
    workflow = parse_workflow(
        f"name: w\ngates: [{{id: A, checks: [{{name: c, run: [python, -c, {json.dumps(code)}]}}]}}]\n"
    )
    ctx = dataclasses.replace(context(checkout, workflow, "A", "c"), workdir=workspace)
    result, _ = execute(ctx)
    assert result.status == CheckStatus.PASS, result.output
    evidence = json.loads(result.evidence[0].content)
    assert evidence["stdout_tail"].splitlines() == [
        str(checkout / ".venv/bin/python"),
        str(checkout / ".venv"),
        "workspace",
    ]
    assert (
        evidence["environment"] | {"kind": "venv", "chosen": "auto: the repository's .venv"}
        == evidence["environment"]
    )


@pytest.mark.parametrize(
    ("layout", "argv", "pythonpath"),
    [
        ("", ["mypy", "pkg/a.py"], ""),  # furl's `mypy furl/compat.py`
        ("src/", ["mypy", "src/pkg/a.py"], ""),
        ("src/", ["mypy", "-m", "pkg.a"], "src"),  # found only through PYTHONPATH: kept
    ],
)
def test_mypy_reports_the_errors_of_the_modules_it_follows_as_the_projects_own_run_does(
    tmp_path: Path, layout: str, argv: list[str], pythonpath: str
) -> None:
    """mypy silences the errors of modules it finds under a PYTHONPATH directory (installed
    packages, to it): furl's `mypy furl/compat.py` gave 3 errors in prp-tasks, 7 in its own run."""
    files = {
        f"{layout}pkg/__init__.py": "",
        f"{layout}pkg/a.py": "from pkg import b\nx: int = 'a'\n",
        f"{layout}pkg/b.py": "y: int = 'b'\n",
    }
    write(tmp_path, {"pyproject.toml": "[project]\nname='p'\n", **files})
    (tmp_path / ".venv").symlink_to(sys.prefix)  # prp-tasks' own environment: it has mypy
    workflow = parse_workflow(
        f"name: w\ngates: [{{id: A, checks: [{{name: c, run: {json.dumps(argv)}}}]}}]\n"
    )
    ctx = dataclasses.replace(context(tmp_path, workflow, "A", "c"), workdir=tmp_path)
    result, _ = execute(ctx)
    evidence = json.loads(result.evidence[0].content)
    found = "b.py:1: error" in evidence["stdout_tail"]
    assert found == (pythonpath == ""), evidence["stdout_tail"]
    assert evidence["environment"]["pythonpath"] == (str(tmp_path / pythonpath) if pythonpath else "")


def test_the_code_is_imported_from_the_folder_setuptools_is_told_of(tmp_path: Path) -> None:
    """cbor2: ``[tool.setuptools.packages.find] where = ["python"]``; the check's PYTHONPATH was the
    workspace, and its tests could not import cbor2."""
    pyproject = '[project]\nname = "p"\n[tool.setuptools.packages.find]\nwhere = ["python"]\n'
    write(tmp_path, {"pyproject.toml": pyproject, "python/mypkg/__init__.py": "WHERE = 'python'\n"})
    (tmp_path / ".venv").symlink_to(sys.prefix)
    code = "import mypkg; print(mypkg.WHERE)"
    workflow = parse_workflow(
        f"name: w\ngates: [{{id: A, checks: [{{name: c, run: [python, -c, {code!r}]}}]}}]\n"
    )
    result, _ = execute(dataclasses.replace(context(tmp_path, workflow, "A", "c"), workdir=tmp_path))
    assert result.status == CheckStatus.PASS, result.output
    assert json.loads(result.evidence[0].content)["environment"]["pythonpath"] == str(tmp_path / "python")


def test_a_missing_venv_fails_the_check_before_it_runs(tmp_path: Path) -> None:
    workflow = parse_workflow(
        "name: w\ngates: [{id: A, checks: [{name: c, run: [python, -V], environment: {venv: env}}]}]\n"
    )
    result, retryable = execute(context(tmp_path, workflow, "A", "c"))
    assert (result.status, retryable) == (CheckStatus.FAIL, False)
    assert result.output == "environment setup failed: venv: env: no such directory in the repository"


def context(
    repo: Path, workflow: Workflow, gate: str, check: str, profile: ResolvedProfile | None = None
) -> CheckContext:
    spec = RunSpec(
        run_id="run-unit",
        workflow=workflow,
        blueprint=Blueprint(title="t"),
        repo=RepoInfo(path=str(repo), commit_sha="unknown"),
        profile=profile or ResolvedProfile(),
        created_at="2026-03-01T10:00:00.000Z",
    )
    found: GateSpec = workflow.gate(gate)
    return CheckContext(
        spec=spec,
        gate=found,
        check=found.check(check),
        timeout_s=20,
        env_allowlist=("PATH", "HOME"),
        output_tail_bytes=4000,
    )


def test_an_unpacked_sdist_installs_as_the_version_its_pkg_info_names(tmp_path: Path) -> None:
    """pluggy 1.5.0's sdist put in a git checkout without tags: setuptools_scm made it
    0.1.dev1, and pytest (which needs pluggy>=1.5) resolved to pytest 3.2.5 of 2017."""
    write(
        tmp_path,
        {
            "setup.py": "",
            "setup.cfg": "[options]\ninstall_requires =\n    six\n",
            "PKG-INFO": "Metadata-Version: 2.1\nName: pluggy\nVersion: 1.5.0\n\nVersion: 9.9 (body)\n",
        },
    )
    built = plan(tmp_path, EnvironmentSpec())
    assert built.install_project and built.version == "1.5.0"
    (tmp_path / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: pluggy\nVersion: 1.6.0\n")
    assert plan(tmp_path, EnvironmentSpec()).key("py3.11", "uv") != built.key("py3.11", "uv")
    (tmp_path / "PKG-INFO").unlink()  # a checkout: its own build backend decides
    assert plan(tmp_path, EnvironmentSpec()).version is None
    write(
        tmp_path, {"PKG-INFO": "Version: 1.5.0\n", "setup.py": "", "pyproject.toml": "[project]\nname='p'\n"}
    )
    (tmp_path / "setup.py").unlink()
    (tmp_path / "setup.cfg").unlink()
    assert plan(tmp_path, EnvironmentSpec()).version is None  # static: the project is not installed


def test_pdm_dev_dependencies_are_dependency_groups(tmp_path: Path) -> None:
    """cattrs: its test tools are in ``[tool.pdm.dev-dependencies] test``; without them the tests
    failed with ``No module named 'hypothesis'``."""
    write(
        tmp_path,
        {
            "pyproject.toml": """
[project]
name = "cattrs"
dependencies = ["attrs>=23.1.0"]
[tool.pdm.dev-dependencies]
lint = ["black", "ruff"]
test = ["hypothesis>=6.79.4", "pytest>=7.4.0", "-e file:///${PROJECT_ROOT}/bench"]
""",
        },
    )
    built = plan(tmp_path, EnvironmentSpec())
    assert built.groups == ("test",)
    assert built.requirements == ("attrs>=23.1.0", "hypothesis>=6.79.4", "pytest>=7.4.0")


def test_the_pretended_version_names_the_project_so_other_sdists_keep_theirs(tmp_path: Path) -> None:
    """hyperlink 21.0.0 pins black==20.8b1, an sdist built with setuptools_scm: the global
    SETUPTOOLS_SCM_PRETEND_VERSION built it as 21.0.0 ("inconsistent metadata"), and every check
    of the run failed."""
    (tmp_path / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: hyperlink\nVersion: 21.0.0\n\nbody\n")
    plan = BuildPlan(workspace=tmp_path, version="21.0.0")
    build = Build(plan, Installer("pip"), "python3", tmp_path / "env", tmp_path / "log", threading.Event(), 0)
    env = build._env()
    assert env["SETUPTOOLS_SCM_PRETEND_VERSION_FOR_HYPERLINK"] == "21.0.0"
    assert "SETUPTOOLS_SCM_PRETEND_VERSION" not in env
    named = Build(
        BuildPlan(workspace=tmp_path, version="1.2", name="zope.interface-x"),
        Installer("pip"), "python3", tmp_path / "env", tmp_path / "log", threading.Event(), 0,
    )  # fmt: skip
    assert named._env()["SETUPTOOLS_SCM_PRETEND_VERSION_FOR_ZOPE_INTERFACE_X"] == "1.2"


def test_an_environments_python_version_is_read_from_its_pyvenv_cfg(tmp_path: Path) -> None:
    """What decides setuptools among the seeds, as ``python -m venv`` gives it below 3.12."""
    (tmp_path / "pyvenv.cfg").write_text("home = /usr/bin\nversion_info = 3.11.7\n")
    assert venv_version(tmp_path) == (3, 11)
    (tmp_path / "pyvenv.cfg").write_text("home = /usr/bin\nversion = 3.13.1\n")  # python -m venv's
    assert venv_version(tmp_path) == (3, 13)
    assert venv_version(tmp_path / "none") == (0,)
