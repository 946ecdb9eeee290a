"""What a failed check says of the releases that ran: a tool that ran unpinned (lint, mypy, a
newer pytest refusing a hook, a deprecation that stopped pytest, a refused configuration), a
plugin release that dropped a fixture, and the mypy errors no release changes (a missing stub
package or module), for which none is blamed."""

from __future__ import annotations

from pathlib import Path

from prp_tasks.checks.advice import explained
from prp_tasks.checks.crashes import crashed
from prp_tasks.environments.versions import unpinned


def test_a_failed_lint_check_says_which_release_ran_unpinned() -> None:
    """filelock 3.18.0's sdist: 69 ruff findings from ruff 0.17, none from the 0.9.10 its
    pre-commit configuration (not in the sdist) pins; the report blamed the code alone."""
    output = "exit 1 in 0.27s (ruff 0.17.6, Python 3.11.7)\n69 ruff violations; first src/a.py:1:RUF105\ntail"
    details: dict[str, object] = {"facts": {"ruff": {"violations": 69}}, "stdout_tail": "tail"}
    text = explained(Path("/nowhere"), output, details, {"kind": "isolated", "unpinned": "ruff 0.17.6"})
    assert text.split("\n")[2] == (
        "unpinned: environment.packages names ruff without a version, so ruff 0.17.6 ran; a release newer "
        "than the project's code can report rules it never met: pin a release the project's code was "
        'written for ("ruff==…")'
    )
    assert explained(Path("/nowhere"), output, details, {"kind": "isolated"}) == output  # pinned
    # marshmallow-dataclass: mypy 2.4 unpinned, its 3 errors from marshmallow 4 (unbounded), not mypy
    typed = "exit 1 (mypy 2.4.1, Python 3.11.7)\n3 mypy errors; first a.py:1\ntail"
    mypy = {"facts": {"mypy": {"errors": 3}}, "stdout_tail": "tail"}
    said = explained(Path("/nowhere"), typed, mypy, {"kind": "isolated", "unpinned": "mypy 2.4.1"})
    assert said.split("\n")[2].startswith(
        "unpinned: environment.packages names mypy without a version, so mypy 2.4.1 ran; a release (or "
        "of a dependency the project does not bound) newer than the project's code can report"
    )
    tests = {"facts": {"pytest": {"tests": 3}}}
    assert explained(Path("/nowhere"), output, tests, {"unpinned": "pytest 9.2.0"}) == output  # not a checker
    # validators: ruff>=0.6.3 ran as 0.17.6, whose format check also reformats Markdown
    formatted = "exit 1 (ruff 0.17.6, Python 3.11.7)\n1 file would be reformatted; first docs/a.md\ntail"
    details = {"facts": {"ruff-format": {"files": 1}}, "stdout_tail": "tail"}
    environment = {"kind": "isolated", "unpinned": "ruff 0.17.6", "unpinned_bounds": ">=0.6.3"}
    assert (
        explained(Path("/nowhere"), formatted, details, environment)
        .split("\n")[2]
        .startswith(
            "unpinned: environment.packages names ruff>=0.6.3, with no upper bound, so ruff 0.17.6 ran;"
        )
    )
    # vulture 2.16: its pristine release failed on README.md alone, and the advice spoke of rules
    details["facts"] = {"ruff-format": {"reformat": 1, "first": ["README.md"]}}
    said = explained(Path("/nowhere"), formatted, details, environment).split("\n")[2]
    assert said.endswith(
        "newer than the project's code can format files it never did (ruff formats Markdown since "
        '0.16: README.md): pin a release the project\'s code was written for ("ruff==…")'
    ), said


def test_the_tool_a_command_runs_is_unpinned_only_without_a_version() -> None:
    argv = ["python", "-m", "ruff", "check", "."]
    assert unpinned(["pytest", "ruff"], argv, "ruff 0.17.6, Python 3.11.7") == ("ruff 0.17.6", "")
    assert unpinned(["Ruff[all]"], argv, "ruff 0.17.6, Python 3.11.7") == ("ruff 0.17.6", "")
    assert unpinned(["ruff==0.9.10"], argv, "ruff 0.9.10, Python 3.11.7") == ("", "")
    # validators' ruff>=0.6.3: lower bounds only, whatever is newest today (0.17.6 formats Markdown)
    assert unpinned(["ruff >= 0.6.3"], argv, "ruff 0.17.6, Python 3.11.7") == ("ruff 0.17.6", ">=0.6.3")
    assert unpinned(["ruff>=0.9,<0.10"], argv, "ruff 0.9.10, Python 3.11.7") == ("", "")
    assert unpinned(["ruff~=0.9.1"], argv, "ruff 0.9.10, Python 3.11.7") == ("", "")
    assert unpinned(["ruff"], argv, "Python 3.11.7") == ("", "")  # which release ran is unknown
    assert unpinned(["flake8"], ["flake8", "."], "flake8 7.5.0, Python 3.11.7") == ("flake8 7.5.0", "")


def test_a_fixture_the_installed_release_of_its_plugin_dropped_says_to_pin_an_earlier_one(
    tmp_path: Path,
) -> None:
    """aiostream 0.6.4: "fixture 'event_loop' not found" under pytest-asyncio 1.5.0 (1.0 removed it);
    the advice said to add pytest-asyncio, installed already: followed, the same 62 errors."""
    details = {"stdout_tail": "E       fixture 'event_loop' not found\n", "stderr_tail": ""}
    environment = {"build": {"installed": ["pytest==9.2.0", "pytest-asyncio==1.5.0"]}}
    output = explained(tmp_path, "exit 1 in 1.00s\n104 tests: 42 passed, 62 errors", details, environment)
    assert output.split("\n")[1] == (
        "pytest-asyncio 1.5.0 is installed and gives no fixture 'event_loop': a release newer than the "
        "project's tests, which dropped it; pin an earlier one under environment.packages in initial.md "
        '("pytest-asyncio<1")'
    )


def test_a_missing_stub_package_is_named_and_no_release_is_blamed() -> None:
    """schedule: 'Library stubs not installed for "pytz"' got "pin a release the project's code was
    written for": mypy 1.10 reports the same; types-pytz is what makes it pass."""
    first = 'schedule/__init__.py:499: [import-untyped] Library stubs not installed for "pytz"'
    output = f"exit 1 in 1.2s (mypy 2.4.1, Python 3.11.7)\n1 mypy error; first {first}\ntail"
    tail = 'Hint: "python3 -m pip install types-pytz"\nFound 1 error in 1 file (checked 1 source file)'
    details: dict[str, object] = {"facts": {"mypy": {"errors": 1, "first": [first]}}, "stdout_tail": tail}
    environment = {"build": {}, "unpinned": "mypy 2.4.1"}
    text = explained(Path("/nowhere"), output, details, environment)
    assert text.split("\n")[2] == (
        "mypy has no type stubs for what it names: add types-pytz under environment.packages in initial.md"
    )
    assert "unpinned" not in text
    other = {"facts": {"mypy": {"errors": 2, "first": [first, "a.py:1: [misc] x"]}}, "stdout_tail": tail}
    assert "unpinned: environment.packages names mypy" in explained(
        Path("/nowhere"), output, other, environment
    )


NOT_FOUND = "Cannot find implementation or library stub for module named"


def test_a_module_mypy_finds_nowhere_is_named_and_no_release_is_blamed(tmp_path: Path) -> None:
    """cmd2 4.3.1: 6 errors 'Cannot find implementation or library stub for module named
    "traitlets.config.loader"' (its IPython imports, ipython not installed) got "pin a release
    the project's code was written for ("mypy==…")"; no mypy release finds an absent package.
    A module of the checkout's own is no package to install."""
    (tmp_path / "cmd2").mkdir()
    lines = [
        f'cmd2/cmd2.py:5357: [import-not-found] {NOT_FOUND} "{m}"'
        for m in (
            "traitlets.config.loader",
            "traitlets.config",
            "traitlets",
            "IPython",
            "IPython.x",
            "cmd2.y",
        )
    ]
    output = f"exit 1 in 9.7s (mypy 2.4.1, Python 3.11.7)\n6 mypy errors; first {lines[0]}\ntail"
    tail = "\n".join(line.replace(": [import-not-found] ", ":1: error: ") for line in lines)
    details: dict[str, object] = {"facts": {"mypy": {"errors": 6, "first": lines[:5]}}, "stdout_tail": tail}
    environment = {"build": {}, "unpinned": "mypy 2.4.1", "unpinned_bounds": ">=2.3.1"}
    text = explained(tmp_path, output, details, environment)
    assert text.split("\n")[2] == (
        "mypy finds no installed traitlets, IPython, which the code it checks imports: "
        "add what provides traitlets, IPython under environment.packages in initial.md"
    )
    assert "unpinned" not in text
    other = tail + "\ncmd2/a.py:3: error: Incompatible return value type  [return-value]"
    details = {"facts": {"mypy": {"errors": 7, "first": lines[:5]}}, "stdout_tail": other}
    assert "unpinned: environment.packages names mypy" in explained(tmp_path, output, details, environment)


DOCOPT_CRASH = """\
Traceback (most recent call last):
  File "/env/lib/python3.11/site-packages/pluggy/_manager.py", line 448, in _verify_hook
    raise PluginValidationError(
pluggy._manager.PluginValidationError: Plugin 'tests/conftest.py' for hook 'pytest_collect_file'
hookimpl definition: pytest_collect_file(file_path: pathlib.Path, path, parent)
Argument(s) {'path'} are declared in the hookimpl but can not be found in the hookspec
"""


def test_a_conftest_hook_an_unpinned_newer_pytest_refuses_is_said_with_the_pin_to_make() -> None:
    """docopt-ng 0.9.0: its conftest's ``pytest_collect_file(file_path, path, parent)`` under the
    unpinned pytest 9.2.0 ("the tool crashed: … for hook 'pytest_collect_file'", the argument pytest
    9 no longer passes said only in the evidence's tail); on pytest 8 its 614 tests pass."""
    assert crashed(DOCOPT_CRASH) == (
        "pluggy._manager.PluginValidationError: Plugin 'tests/conftest.py' for hook 'pytest_collect_file': "
        "Argument(s) {'path'} are declared in the hookimpl but can not be found in the hookspec"
    )
    output = "exit 1 in 1.67s (pytest 9.2.0, Python 3.11.7)\nthe tool crashed: …\ntail"
    details: dict[str, object] = {"stderr_tail": DOCOPT_CRASH}
    text = explained(Path("/nowhere"), output, details, {"kind": "isolated", "unpinned": "pytest 9.2.0"})
    assert text.split("\n")[1] == "the tool crashed: …"
    assert text.split("\n")[2] == (
        "unpinned: pytest 9.2.0 ran (environment.packages names pytest without a version) and refused a "
        "hook of the project's: a release newer than its code; pin the one it was written for "
        '("pytest<9")'
    )
    assert explained(Path("/nowhere"), output, details, {"kind": "isolated"}) == output  # pinned
    # base58: pytest-flake8 1.3.0, which its tests extra installs, not a hook of its own
    details = {"stderr_tail": DOCOPT_CRASH.replace("'tests/conftest.py'", "'flake8'")}
    text = explained(Path("/nowhere"), output, details, {"kind": "isolated", "unpinned": "pytest 9.2.0"})
    assert (
        "refused a hook of the installed pytest plugin 'flake8': a release newer than that plugin's; pin"
        in text
    )


def test_a_deprecation_warning_that_stopped_pytest_names_the_unpinned_plugins() -> None:
    """async-lru: pytest-asyncio, added for the ``asyncio_mode`` its configuration sets and declared
    nowhere in its sdist, ran at 1.5.0, whose deprecation warning its ``filterwarnings = error``
    made a crash ("the tool crashed: … is unset."); its own venv's 1.2.0 passes."""
    output = (
        "exit 3 in 0.88s (pytest 9.2.0, Python 3.11.7)\nthe tool crashed: pytest.PytestDeprecationWarning: "
        'The configuration option "asyncio_default_fixture_loop_scope" is unset.\ntail'
    )
    build = {
        "sources": ["setup.cfg [options] install_requires", "packages: pytest, flake8, pytest-asyncio"],
        "installed": ["flake8==7.5.0", "pytest==9.2.0", "pytest-asyncio==1.5.0", "pytest-cov==7.1.0"],
    }
    said = explained(Path("/nowhere"), output, {"stdout_tail": "tail"}, {"build": build}).split("\n")
    assert said[2] == (
        "a deprecation warning stopped pytest (the project makes warnings errors); unpinned here: "
        "pytest 9.2.0, pytest-asyncio 1.5.0: a release newer than the project's code? pin the one it "
        "was written for under environment.packages"
    )
    pinned = {**build, "sources": ["packages: pytest==8.3.3, pytest-asyncio==1.2.0"]}
    assert explained(Path("/nowhere"), output, {}, {"build": pinned}) == output


def test_a_tool_that_ran_unpinned_and_refused_the_projects_configuration_says_it_ran_unpinned(
    tmp_path: Path,
) -> None:
    """defusedxml 0.7.1: black 26.10.1 (unpinned) refused its ``target-version = ['py27']``; the
    summary said so with no word of black having run unpinned (black 21.12b0 passes it)."""
    refused = "the tool refused its arguments or configuration, nothing was checked: Error: Invalid value"
    environment = {"unpinned": "black 26.10.1", "build": {}}
    output = explained(tmp_path, f"exit 2 in 0.73s\n{refused}", {}, environment)
    assert output.split("\n")[2].startswith("unpinned: environment.packages names black without a version")


def test_ruff_refusing_the_projects_configuration_is_said_with_the_unpinned_release(tmp_path: Path) -> None:
    """marshmallow-oneofschema 3.1.1: ruff 0.17.6 (unpinned) no longer knows its ``show-source``;
    the check said "ruff failed", its terminal line nothing of why, and nothing said that ruff
    ran unpinned (ruff 0.4.10, of the project's time, runs and finds 7 violations)."""
    from tests.unit.test_evidence import summary

    err = (
        "ruff failed\n  Cause: Failed to parse pyproject.toml\n"
        "  Cause: TOML parse error at line 38, column 1\n   |\n38 | [tool.ruff]\n   | ^^^^^^^^^^^\n"
        "unknown field `show-source`\n\n"
    )
    argv = [
        "python",
        "-m",
        "ruff",
        "check",
        "--no-cache",
        "--output-format=json",
        "--output-file=r.json",
        ".",
    ]
    text = summary(tmp_path, argv, "", err)[0]
    assert text.splitlines()[0] == (
        "the tool refused its arguments or configuration, nothing was checked: ruff failed: Failed to parse "
        "pyproject.toml: TOML parse error at line 38, column 1: unknown field `show-source`"
    )
    output = explained(tmp_path, f"exit 2 in 0.03s\n{text}", {}, {"unpinned": "ruff 0.17.6", "build": {}})
    assert output.split("\n")[2].startswith("unpinned: environment.packages names ruff without a version")
