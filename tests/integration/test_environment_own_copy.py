"""A built environment holds a copy of the project from the run that built it; a later run's tests
that import the project from that copy rather than from the checkout do not pass on its code."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from prp_tasks.core.models import CheckStatus
from prp_tasks.core.run import RunStatus
from prp_tasks.service.control import Control
from tests.integration.test_environments import IN_TREE_BACKEND, Finish, evidence, run, workflow

#: the in-tree backend building ``selfdep`` from ``code/selfdep`` (no file says where: setuptools
#: would be told in setup.py by a path it computes, as crcmod's ``os.path.join(base_dir, 'crcmod')``)
ELSEWHERE_BACKEND = IN_TREE_BACKEND.replace('Path("src/', 'Path("code/')
TEST = (
    "import unittest\nimport selfdep\n\n\nclass T(unittest.TestCase):\n"
    "    def test_where(self):\n        self.assertEqual(selfdep.WHERE, 'own')\n"
)
CHECK = "{name: t, run: [python, -m, unittest, tests.test_where]}"


def test_tests_importing_another_runs_copy_of_the_project_do_not_pass(
    control: Control, make_repo: Callable[..., Path], finish: Finish
) -> None:
    """crcmod 1.7: a broken assert passed "12 tests ran: OK" (its tests imported the copy an
    earlier run had installed in the environment, not the checkout's code)."""
    repo = make_repo(
        {
            # (its own description: an environment another test of this process built for
            # test_environments' selfdep, of the same declarations, would be another run's copy)
            "pyproject.toml": "[build-system]\nrequires = []\nbuild-backend = 'backend'\n"
            "backend-path = ['_build']\n\n[project]\nname = 'selfdep'\nversion = '1.0'\ndependencies = []\n"
            "description = 'its code in code/'\n",
            "_build/backend.py": ELSEWHERE_BACKEND,
            "code/selfdep/__init__.py": "WHERE = 'own'\n",
            "tests/__init__.py": "",
            "tests/test_where.py": TEST,
        }
    )
    first = run(control, finish, repo, workflow(CHECK))
    result = first.gates["A"].checks["t"]
    assert result.status == CheckStatus.PASS, result.output  # the copy is this run's own code
    assert "own_copy_imported" not in evidence(first, "A", "t")["environment"]
    (repo / "code/selfdep/__init__.py").write_text("WHERE = 'changed'\n")  # the test now fails
    second = run(control, finish, repo, workflow(CHECK))
    result = second.gates["A"].checks["t"]
    assert result.status == CheckStatus.FAIL and second.status == RunStatus.FAILED, result.output
    first_line = result.output.split("\n")[0]
    assert first_line.startswith("the tests imported selfdep from the copy of the project"), result.output
    assert first_line.endswith("the tests' pass is not of this checkout's code")
    assert evidence(second, "A", "t")["environment"]["own_copy_imported"] == ["selfdep"]
    # told where the code is, the tests run the checkout's code, and fail on it
    told = CHECK.replace("}", ", environment: {variables: {PYTHONPATH: code}}}")
    third = run(control, finish, repo, workflow(told))
    result = third.gates["A"].checks["t"]
    assert result.status == CheckStatus.FAIL and "AssertionError" in result.output, result.output
    assert "own_copy_imported" not in evidence(third, "A", "t")["environment"]
