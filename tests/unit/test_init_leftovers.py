"""``prp init`` and tools a project only declares or only configures: no check for a formatter or linter
only declared; one only configured runs, its comment saying so (a leftover?), or why that cannot be told
(a source distribution without the project's hooks file or CI files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.test_init import parsed, write


def test_a_formatter_only_declared_is_not_a_check(tmp_path: Path) -> None:
    """python-dotenv lists black in requirements.txt but neither configures nor runs it (13 files
    would be reformatted): a required format check failed the run on a rule the project does not
    apply. Configured or run, it is checked."""
    files = {"requirements.txt": "black>=22\npytest\n", "pkg/__init__.py": "", "tests/test_a.py": ""}
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert "format" not in result.profile.governance.commands
    assert "format" not in result.profile.governance.checks
    assert "format: black is only declared (requirements.txt): nothing of the project configures" in text
    (tmp_path / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: pkg\nVersion: 1\n")
    text = parsed(tmp_path)[0]  # rich's sdist: what its CI runs is not in it
    assert "black is only declared (requirements.txt): nothing in this checkout configures or runs it" in text
    (tmp_path / "PKG-INFO").unlink()
    write(tmp_path, {"tox.ini": "[testenv:style]\ncommands = black --check pkg\n"})
    _, result = parsed(tmp_path)
    assert result.profile.governance.commands["format"][-1:] == ("pkg",)
    assert "format" in result.profile.governance.checks


def test_a_pylint_only_configured_says_so(tmp_path: Path) -> None:
    """asttokens: a pylint-1.x ``.pylintrc`` that nothing runs or installs; its lint check failed
    with 66 messages, the first about the file's own obsolete options."""
    write(
        tmp_path,
        {".pylintrc": "[MASTER]\nprofile=no\n", "setup.cfg": "[metadata]\nname = at\n", "at/a.py": ""},
    )
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["lint"][2] == "pylint"
    assert "only configured: no requirement names pylint and no command runs it (a leftover?)" in text


def test_a_linter_configured_in_an_sdist_that_leaves_its_hooks_out_says_so(tmp_path: Path) -> None:
    """exceptiongroup's sdist: ``[tool.ruff]`` and flit's ``exclude`` leaving out its
    .pre-commit-config.yaml, whose ruff hook excludes a test module; the comment said "only
    configured … (a leftover?)", which the checkout's own pyproject contradicts."""
    pyproject = (
        '[project]\nname = "eg"\n[tool.ruff]\nline-length = 88\n[tool.flit.sdist]\n'
        'exclude = [".github/*", ".pre-commit-config.yaml"]\n'
    )
    write(tmp_path, {"pyproject.toml": pyproject, "eg/__init__.py": ""})
    said = parsed(tmp_path)[0]
    assert "(a leftover?)" not in said
    assert "pyproject.toml [tool.flit.sdist] exclude leaves the project's .pre-commit-config.yaml out" in said
    write(
        tmp_path,
        {
            "pyproject.toml": pyproject.split("[tool.flit")[0],
            "MANIFEST.in": "exclude .pre-commit-config.yaml\n",
        },
    )
    assert "MANIFEST.in leaves the project's .pre-commit-config.yaml out" in parsed(tmp_path)[0]
    (tmp_path / "MANIFEST.in").unlink()  # pycparser's sdist: its Makefile and CI (make check: ruff) left out
    write(tmp_path, {"PKG-INFO": "Metadata-Version: 2.1\nName: eg\n"})
    said = parsed(tmp_path)[0]
    assert "this checkout is a source distribution (PKG-INFO) without the project's CI files: " in said
    assert "whether its automation runs ruff is not known here" in said and "(a leftover?)" not in said
    write(tmp_path, {".github/workflows/ci.yml": "jobs:\n  t:\n    steps:\n      - run: pytest\n"})
    assert "(a leftover?)" in parsed(tmp_path)[0]


def test_a_formatter_only_configured_says_so(tmp_path: Path) -> None:
    """python-dateutil's sdist: ``[tool.black]`` in pyproject, its tox ``precommit`` env runs
    pre-commit, whose hooks file the sdist leaves out; the format check failed on 30 files with
    a comment reading as if the project kept them black-formatted."""
    write(tmp_path, {"pyproject.toml": '[project]\nname = "du"\n[tool.black]\n', "du/a.py": ""})
    said, result = parsed(tmp_path)
    assert result.profile.governance.commands["format"][2] == "black"
    assert "only configured: no requirement names black and no command runs it (a leftover?)" in said
    write(tmp_path, {"tox.ini": "[testenv:precommit]\ncommands = pre-commit run --all-files\n"})
    said = parsed(tmp_path)[0]
    assert "runs pre-commit, whose .pre-commit-config.yaml this checkout lacks: whether its hooks" in said
    assert "hooks run black is not known here" in said


@pytest.mark.parametrize(
    ("config", "tool"), [("setup.cfg", "flake8"), ("ruff.toml", "ruff")], ids=["flake8", "ruff"]
)
def test_a_linter_only_configured_says_so(tmp_path: Path, config: str, tool: str) -> None:
    """configobj: ``[flake8] max-line-length=132`` in setup.cfg and nothing that installs or runs
    flake8; its lint check failed on 558 violations, the comment reading as if a command ran it."""
    text = (
        "[metadata]\nname = co\n[flake8]\nmax-line-length=132\n" if tool == "flake8" else "line-length = 99\n"
    )
    write(
        tmp_path,
        {config: text, "co/a.py": ""} | ({"setup.cfg": "[metadata]\nname = co\n"} if tool == "ruff" else {}),
    )
    said, result = parsed(tmp_path)
    assert result.profile.governance.commands["lint"][2] == tool
    assert f"only configured: no requirement names {tool} and no command runs it (a leftover?)" in said
    write(tmp_path, {"tox.ini": "[testenv:lint]\ncommands = pre-commit run --all-files\n"})  # webargs' sdist
    said = parsed(tmp_path)[0]
    assert "only configured" not in said
    assert "tox.ini [testenv:lint] runs pre-commit, whose .pre-commit-config.yaml this checkout lacks" in said
    write(
        tmp_path, {"tox.ini": "", "requirements-dev.txt": "pre-commit\n"}
    )  # marshmallow-dataclass' lint extra
    assert (
        "the project declares pre-commit, whose .pre-commit-config.yaml this checkout lacks"
        in parsed(tmp_path)[0]
    )
    write(tmp_path, {".pre-commit-config.yaml": f"repos:\n- repo: x\n  rev: v1\n  hooks:\n  - id: {tool}\n"})
    assert "only configured" not in parsed(tmp_path)[0] and "lacks" not in parsed(tmp_path)[0]


def test_a_linter_only_declared_is_named_as_such(tmp_path: Path) -> None:
    """tinydb declares pycodestyle in its dev group and nothing configures or runs it: the comment
    said "no lint tool found in the project's configuration"."""
    pyproject = (
        '[project]\nname = "tinydb"\nversion = "1"\n'
        '[dependency-groups]\ndev = ["pytest", "pycodestyle~=2.10"]\n'
    )
    write(
        tmp_path,
        {"pyproject.toml": pyproject, "tinydb/__init__.py": "", "tests/test_a.py": "def test_a(): pass\n"},
    )
    text = parsed(tmp_path)[0]
    assert "no command for lint: pycodestyle is only declared (pyproject.toml dependency group 'dev')" in text
    # aniso8601's dev extra names pylint (and black): the lint check failed on 492 messages of a
    # linter nothing runs, where its black, only declared too, was rightly no check
    write(tmp_path, {"pyproject.toml": pyproject.replace('"pycodestyle~=2.10"', '"pylint", "black"')})
    text, result = parsed(tmp_path)
    assert "lint" not in result.profile.governance.commands
    assert "no command for lint: pylint is only declared (pyproject.toml dependency group 'dev')" in text


def test_a_formatter_only_configured_where_the_automation_runs_the_linter_is_no_check(tmp_path: Path) -> None:
    """hpack and h2: ``[tool.ruff.format]``, and their tox lint env runs ``ruff check src/`` only;
    the format check failed their G3 (h2's release: 54 files would be reformatted), failing the run
    of a project that does not enforce its formatting. Run by the project, it is a check; with no
    automation seen at all, it still is one, said to be only configured."""
    pyproject = (
        '[project]\nname = "hp"\n[tool.ruff]\nline-length = 140\n[tool.ruff.format]\nquote-style = "single"\n'
    )
    tox = "[testenv:lint]\ndeps = ruff\ncommands = ruff check src/\n"
    write(tmp_path, {"pyproject.toml": pyproject, "tox.ini": tox, "src/hp/__init__.py": ""})
    text, result = parsed(tmp_path)
    assert "format" not in result.profile.governance.commands
    assert (
        "format: ruff format is only configured (pyproject.toml [tool.ruff.format]) while tox.ini "
        "[testenv:lint] runs ruff, and nothing of the project runs ruff format: the formatting is not checked"
        in text
    )
    write(tmp_path, {"tox.ini": tox + "    ruff format --check src/\n"})
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["format"][2:5] == ("ruff", "format", "--check")
    assert "a leftover?" not in text
    (tmp_path / "tox.ini").unlink()
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["format"][2:5] == ("ruff", "format", "--check")
    assert "only configured: no command or hook of the project runs ruff format (a leftover?)" in text
    # black likewise, beside a flake8 the tox env runs
    black = '[project]\nname = "hp"\n[tool.black]\nline-length = 100\n'
    flake8 = "[testenv:lint]\ndeps = flake8\ncommands = flake8 src\n"
    write(tmp_path, {"pyproject.toml": black, "tox.ini": flake8})
    text, result = parsed(tmp_path)
    assert "format" not in result.profile.governance.commands
    said = "format: black is only configured (pyproject.toml [tool.black]) while tox.ini [testenv:lint] runs"
    assert said in text
    # a black left over beside a ruff format the project runs: the format check is ruff's
    hooks = "repos:\n- repo: https://github.com/astral-sh/ruff-pre-commit\n  rev: v0.17.0\n  hooks:\n"
    write(tmp_path, {".pre-commit-config.yaml": hooks + "  - id: ruff-format\n"})
    assert parsed(tmp_path)[1].profile.governance.commands["format"][2:5] == ("ruff", "format", "--check")


def test_a_formatter_only_configured_where_the_automation_runs_only_the_tests_is_no_check(
    tmp_path: Path,
) -> None:
    """Deprecated: ``[tool.black]``, no linter, and its tox runs the tests only: the required format
    check failed its pristine release on 17 files. Of an sdist without its CI files nothing is known
    (wrapt's CI may run black): it stays a check."""
    black = '[project]\nname = "dep"\n[tool.black]\nline-length = 120\n'
    tox = "[testenv]\ndeps = pytest\ncommands = pytest tests\n"
    write(tmp_path, {"pyproject.toml": black, "tox.ini": tox, "dep/__init__.py": "", "tests/test_a.py": ""})
    text, result = parsed(tmp_path)
    assert "format" not in result.profile.governance.commands
    assert (
        "black is only configured (pyproject.toml [tool.black]) while tox.ini [testenv] runs pytest" in text
    )
    (tmp_path / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: dep\nVersion: 1\n")
    assert "format" in parsed(tmp_path)[1].profile.governance.commands
