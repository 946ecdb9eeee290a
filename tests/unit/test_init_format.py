"""The format check ``prp init`` writes leaves out the profile it writes: ``initial.md`` is prp's,
not the project's code, and ruff 0.17 formats Markdown (the Python fenced in it among it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.test_init import parsed, write

UNFORMATTED = "# x\n\n```python\nx = {  'a':1 }\n```\n"


def _ruff(argv: tuple[str, ...], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *argv[1:]], cwd=cwd, capture_output=True, text=True, check=False)


def test_the_format_check_leaves_out_the_profile_prp_init_wrote(tmp_path: Path) -> None:
    """apispec with a fenced Python example in its blueprint's description: "1 file would be
    reformatted (26 unchanged); first initial.md", and the run failed on prp's own file."""
    pyproject = '[project]\nname = "pkg"\n\n[tool.ruff]\nline-length = 100\n'
    write(tmp_path, {"pyproject.toml": pyproject, "pkg/__init__.py": "X = 1\n"})
    write(tmp_path, {"tox.ini": "[testenv:fmt]\ncommands = ruff format --check .\n"})
    argv = parsed(tmp_path)[1].profile.governance.commands["format"]
    assert "--extend-exclude=initial.md" in argv
    write(tmp_path, {"initial.md": UNFORMATTED})
    whole = ("python", "-m", "ruff", "format", "--check", "--no-cache", ".")
    if _ruff(whole, tmp_path).returncode == 0:
        pytest.skip("this ruff does not format Markdown (ruff 0.17 does): nothing to leave out")
    done = _ruff(argv, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_ruff_pinned_before_0_16_gets_no_exclusion_it_would_refuse(tmp_path: Path) -> None:
    """blinker pins ruff 0.11.12 in its pre-commit hooks, whose ``ruff format`` has no
    ``--extend-exclude``: "error: unexpected argument", exit 2, and the run failed (it formats no
    Markdown either: nothing to leave out)."""
    hooks = (
        "repos:\n- repo: https://github.com/astral-sh/ruff-pre-commit\n  rev: v0.11.12\n"
        "  hooks:\n  - id: ruff\n  - id: ruff-format\n"
    )
    pyproject = '[project]\nname = "pkg"\n\n[tool.ruff]\nline-length = 100\n'
    write(tmp_path, {"pyproject.toml": pyproject, "pkg/__init__.py": "", ".pre-commit-config.yaml": hooks})
    text, result = parsed(tmp_path)
    assert '"ruff==0.11.12"' in text
    assert result.profile.governance.commands["format"] == (
        "python", "-m", "ruff", "format", "--check", "--no-cache", ".",
    )  # fmt: skip
    write(tmp_path, {".pre-commit-config.yaml": hooks.replace("v0.11.12", "v0.16.0")})
    assert "--extend-exclude=initial.md" in parsed(tmp_path)[1].profile.governance.commands["format"]


def test_a_ruff_before_0_16_leaves_out_what_the_projects_format_hook_does(tmp_path: Path) -> None:
    """exceptiongroup's hooks (ruff v0.14.10) leave out ``tests/test_catch_py311.py`` (``except*``,
    which older Pythons cannot parse); that ruff's ``format`` has no ``--extend-exclude``, so the
    format check formatted the file the project leaves alone. A configuration override adds it to
    the project's excludes, as the lint check's ``--extend-exclude`` does."""
    hooks = (
        "repos:\n- repo: https://github.com/astral-sh/ruff-pre-commit\n  rev: v0.14.10\n  hooks:\n"
        '  - id: ruff-check\n    exclude: "tests/test_catch_py311.py"\n'
        '  - id: ruff-format\n    exclude: "tests/test_catch_py311.py"\n'
    )
    pyproject = '[project]\nname = "pkg"\n\n[tool.ruff]\nline-length = 100\n'
    write(tmp_path, {"pyproject.toml": pyproject, "pkg/__init__.py": "", ".pre-commit-config.yaml": hooks})
    write(tmp_path, {"tests/test_catch_py311.py": "x = (  1,\n2)\n", "tests/test_a.py": "X = 1\n"})
    text, result = parsed(tmp_path)
    argv = result.profile.governance.commands["format"]
    assert argv == (
        "python", "-m", "ruff", "format", "--check", "--no-cache",
        '--config=extend-exclude = ["tests/test_catch_py311.py"]', ".",
    )  # fmt: skip
    assert "leaves out tests/test_catch_py311.py, as the project's hook does" in text
    done = _ruff(argv, tmp_path)  # (this environment's ruff: the override is read by any since 0.2)
    assert done.returncode == 0, done.stdout + done.stderr
