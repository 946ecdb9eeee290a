"""``prp init`` through the CLI: a fresh project's first run passes where its own checks pass, and
the evidence of a failing run names what failed (prp-tasks' own pytest, pytest-cov, ruff and mypy
run the checks)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import run_prp

PROJECT = {
    "pyproject.toml": """\
[project]
name = "slugs"
description = "Turn titles into URL slugs"
license = "MIT"
authors = [{name = "Ada", email = "ada@example.org"}]

[project.optional-dependencies]
dev = ["pytest", "pytest-cov", "ruff", "mypy"]

[tool.pytest.ini_options]
pythonpath = ["src"]
testpaths = ["tests"]

[tool.coverage.run]
branch = true
source = ["slugs"]

[tool.coverage.report]
fail_under = 90

[tool.ruff]
line-length = 100

[tool.mypy]
strict = true
files = ["src/slugs"]
""",
    "README.md": "# slugs\n\nSlugs turns any title into a URL slug.\n",
    "src/slugs/__init__.py": '"""Slugs."""\n\n\ndef slugify(title: str) -> str:\n'
    '    return "-".join(title.lower().split())\n',
    "tests/test_slugs.py": "from slugs import slugify\n\n\ndef test_words() -> None:\n"
    '    assert slugify("Hello World") == "hello-world"\n\n\ndef test_one() -> None:\n'
    '    assert slugify("x") == "x"\n',
}

BROKEN_TEST = (
    'import os\n\nfrom slugs import slugify\n\n\ndef test_case() -> None:\n    assert slugify("A") == "A"\n'
)


def make_project(root: Path) -> Path:
    for name, text in PROJECT.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def run_checks(repo: Path) -> tuple[int, dict[str, Any], dict[str, Any]]:
    result = run_prp("run", str(repo), "--auto-approve", "--json")
    assert result.stdout, result.stderr
    view = json.loads(result.stdout)
    out = Path(view["out_dir"])
    checks = {c["name"]: c for g in view["gates"] for c in g["checks"]}
    return result.returncode, checks, json.loads((out / "review.json").read_text())


def test_without_initial_md_run_and_profile_check_name_prp_init(tmp_path: Path) -> None:
    repo = make_project(tmp_path)
    for command in (("run", str(repo)), ("profile", "check", str(repo))):
        result = run_prp(*command)
        assert result.returncode == 2
        assert "no initial.md in" in result.stderr and f"`prp init {repo}`" in result.stderr
    # from a folder of a checkout whose top has one (pathvalidate's src/): that one, not a second
    (repo / ".git").mkdir()
    (repo / "initial.md").write_text("# T\n")
    (repo / "docs").mkdir()
    inside = run_prp("run", ".", cwd=repo / "docs")
    assert inside.returncode == 2
    assert f"the checkout's top has one ({repo / 'initial.md'}); run `prp run {repo}`" in inside.stderr


def test_profile_check_warns_about_an_initial_md_that_sets_nothing(tmp_path: Path) -> None:
    repo = make_project(tmp_path)
    (repo / "initial.md").write_text("# A title\n\nProse, and a list block:\n\n```yaml\n- a\n```\n")
    checked = run_prp("profile", "check", str(repo))
    assert checked.returncode == 0 and checked.stdout.startswith("ok: ")  # valid: defaults apply
    assert "warning: initial.md sets no profile value" in checked.stderr
    # the file itself, as a user names it (it had said "no initial.md in initial.md")
    for named in (
        run_prp("profile", "check", "initial.md", cwd=repo),
        run_prp("profile", "show", "initial.md", cwd=repo),
    ):
        assert named.returncode == 0, named.stderr
        assert "initial.md" in named.stdout.splitlines()[0], named.stdout
    missing = run_prp("profile", "check", "nothere.md", cwd=repo)
    assert missing.returncode == 2 and "nothere.md: no such folder or file" in missing.stderr
    # sortedcollections: "ok" for prp init's placeholder requirement, then a run failing at G0
    (repo / "initial.md").write_text("# A title\n\n## Requirements\n\n- Describe the outcome here\n")
    placeholder = run_prp("profile", "check", str(repo))
    assert placeholder.returncode == 0
    assert "requirement 'Describe the outcome here' is a placeholder: G0's" in placeholder.stderr
    # flasgger: "ok" for required checks without type-check, then a run failing at G1
    text = "# A title\n\n## Requirements\n\n- It works\n\n```yaml\ngovernance:\n  checks: [test, lint]\n```\n"
    (repo / "initial.md").write_text(text)
    lacking = run_prp("profile", "check", str(repo))
    assert lacking.returncode == 0 and lacking.stdout.startswith("ok: ")
    assert "warning: initial.md's governance.checks lacks 'type-check': the built-in workflow's G1" in (
        lacking.stderr
    )


def test_init_writes_once_prints_on_request_and_the_first_run_passes(tmp_path: Path) -> None:
    repo = make_project(tmp_path)
    shown = run_prp("init", str(repo), "--print")
    assert shown.returncode == 0 and shown.stdout.startswith("# slugs: Turn titles into URL slugs\n")
    assert not (repo / "initial.md").exists()
    written = run_prp("init", str(repo))
    assert written.returncode == 0, written.stderr
    assert "commands: test (pytest), lint (ruff), type-check (mypy)" in written.stdout
    assert (repo / "initial.md").read_text() == shown.stdout
    again = run_prp("init", str(repo))
    assert again.returncode == 2 and "only with --force" in again.stderr
    assert run_prp("init", str(repo), "--force").returncode == 0

    code, checks, review = run_checks(repo)
    assert code == 0, checks
    test_facts = "2 tests: 2 passed, 0 failed, 0 errors, 0 skipped; coverage: lines 100%, total 100%"
    assert test_facts in lines(checks, "run-test")
    assert "no ruff violations" in lines(checks, "run-lint")
    assert "no mypy errors" in lines(checks, "run-type-check")
    assert checks["coverage-validation"]["status"] == "pass"
    assert checks["perf-a11y-budgets"]["status"] == "skip"  # a library has no browser budgets
    # no security report: G4 passed on coverage alone, so its category is not green (review.json)
    assert [(f["id"], f["severity"]) for f in review["findings"]] == [("G4-security-validation", "minor")]

    (repo / "tests" / "test_case.py").write_text(BROKEN_TEST)
    code, checks, review = run_checks(repo)
    assert code == 1
    failing = "3 tests: 2 passed, 1 failed, 0 errors, 0 skipped; failing: tests/test_case.py::test_case"
    assert any(line.startswith(failing) for line in lines(checks, "run-test"))
    violation = "1 ruff violation; first tests/test_case.py:1:F401 (`os` imported but unused)"
    assert violation in lines(checks, "run-lint")
    findings = {f["id"]: f["severity"] for f in review["findings"]}
    assert findings == {"G3-run-test": "major", "G3-run-lint": "major"}
    assert review["scores"]["implementation"] == "red"
    assert review["scores"]["tests"] == "red"  # the failing test, not only G2's test plan


def lines(checks: dict[str, Any], name: str) -> list[str]:
    output: str = checks[name]["output"]
    return output.splitlines()


def test_init_print_says_on_stderr_what_it_could_not_derive(tmp_path: Path) -> None:
    """isodate's user: ``prp init --print`` showed the file and said nothing of the checks without
    a command or the checkers no check runs, which ``prp init`` prints (the docs say the same)."""
    repo = tmp_path / "bare"
    (repo / "tests").mkdir(parents=True)
    (repo / "tests" / "test_a.py").write_text("import unittest\n\nclass T(unittest.TestCase):\n    pass\n")
    (repo / "setup.cfg").write_text("[metadata]\nname = bare\n[isort]\nprofile = black\n")
    shown = run_prp("init", str(repo), "--print")
    assert shown.returncode == 0 and shown.stdout.startswith("# bare")
    assert "no lint command: no lint tool found" in shown.stderr
    assert "not run here: isort (setup.cfg [isort])" in shown.stderr
    assert "no lint command" not in shown.stdout.split("```yaml")[0]
