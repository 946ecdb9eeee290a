"""A failed command that could not import a module says which and what to do
(``prp_tasks.checks.advice``): the names on the facts line, the advice for the environment kind.
"""

from __future__ import annotations

from pathlib import Path

from prp_tasks.checks.advice import advice, explained, missing_modules, said
from prp_tasks.checks.crashes import crashed
from prp_tasks.core.models import CheckStatus
from prp_tasks.environments.versions import unpinned
from tests.unit.test_checks_command import PY, content, python, run

PYTEST_OUTPUT = """\
==================================== ERRORS ====================================
_____________________ ERROR collecting tests/test_a.py _________________________
ImportError while importing test module '/w/tests/test_a.py'.
E   ModuleNotFoundError: No module named 'hypothesis'
E   ModuleNotFoundError: No module named 'mm._version'
E   ModuleNotFoundError: No module named '_ctypes'
E   ModuleNotFoundError: No module named 'tomllib'
E   ModuleNotFoundError: No module named 'google.protobuf'
ImportError: No module named yaml
E   ModuleNotFoundError: No module named 'hypothesis'
"""


def test_the_missing_modules_leave_out_the_projects_own_and_the_standard_librarys(tmp_path: Path) -> None:
    (tmp_path / "src" / "mm").mkdir(parents=True)
    assert missing_modules(tmp_path, PYTEST_OUTPUT) == ["hypothesis", "google.protobuf", "yaml"]
    # multidict: tests skipped by importorskip are no failure of a missing package
    skipped = "SKIPPED [3] tests/test_h.py:25: could not import 'hypothesis': No module named 'hypothesis'\n"
    assert missing_modules(tmp_path, skipped + "1 failed, 3 skipped") == []
    (tmp_path / "hypothesis.py").write_text("")  # a module of the project's own
    assert missing_modules(tmp_path, PYTEST_OUTPUT) == ["google.protobuf", "yaml"]
    assert missing_modules(tmp_path, "1 passed in 0.01s") == []


def test_the_advice_fits_the_environment_the_check_ran_in() -> None:
    built = advice(["hypothesis"], {"kind": "isolated", "build": {}})
    assert built == (
        "the checks' environment has no module 'hypothesis': if the command needs it, add its package "
        "under environment.packages in initial.md"
    )
    assert "no modules 'a', 'b': if the command needs them, add their packages" in advice(
        ["a", "b"], {"build": {}}
    )
    assert (
        advice(["a"], {"kind": "venv"}) == "the project's .venv has no module 'a': install its package there"
    )
    assert advice(list("abcd"), {"kind": "system"}).startswith(
        "the Python the check ran with has no modules 'a', 'b', 'c', …"
    )
    assert said(["hypothesis"]) == "missing module: hypothesis"
    assert said(list("abcd")) == "missing modules: a, b, c, …"


def test_a_command_that_cannot_import_a_module_says_so_on_its_second_line(tmp_path: Path) -> None:
    result = python(tmp_path, "import prp_no_such_module_xyz")
    assert result.status == CheckStatus.FAIL
    head, second, *_ = result.output.split("\n")
    assert head.startswith("exit 1 in ")
    assert second.endswith("has no module 'prp_no_such_module_xyz': install its package there")
    assert content(result)["missing_modules"] == ["prp_no_such_module_xyz"]


def test_a_warning_filter_whose_module_pytest_cannot_import_names_the_module(tmp_path: Path) -> None:
    """httpx: ``filterwarnings`` names ``trio.TrioDeprecationWarning`` and trio was not installed:
    "the tool crashed: pytest.PytestConfigWarning: Failed to import filter module 'trio'", no word
    of what was missing."""
    (tmp_path / "pytest.ini").write_text(
        "[pytest]\nfilterwarnings =\n    error\n    ignore::prp_nomod_xyz.W\n"
    )
    (tmp_path / "test_a.py").write_text("def test_a():\n    pass\n")
    result, _ = run(tmp_path, PY, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert result.status == CheckStatus.FAIL
    assert content(result)["missing_modules"] == ["prp_nomod_xyz"]
    assert result.output.split("\n")[1] == (
        "the Python the check ran with has no module 'prp_nomod_xyz': install its package there"
    )


def test_testpaths_that_are_not_in_the_checkout_say_no_test_was_found(tmp_path: Path) -> None:
    """loguru 0.8.0's sdist has no tests/ while its ``testpaths = ["tests"]`` and its
    ``filterwarnings = error`` turn pytest's warning into a crash: "the tool crashed:
    pytest.PytestConfigWarning: No files were found in testpaths", read as pytest's fault."""
    (tmp_path / "pytest.ini").write_text("[pytest]\ntestpaths = tests it\nfilterwarnings =\n    error\n")
    (tmp_path / "pkg.py").write_text("")
    result, _ = run(tmp_path, PY, "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert result.status == CheckStatus.FAIL
    assert result.output.split("\n")[1] == (
        "no test found: none of the folders pytest's testpaths names is in this checkout (a source "
        "distribution without its tests?); the project's warnings-as-errors setting made pytest's "
        "warning about it this error"
    )


def test_a_passing_command_or_the_projects_own_module_gets_no_advice(tmp_path: Path) -> None:
    passed = python(tmp_path, "print(\"No module named 'yaml'\")")
    assert passed.status == CheckStatus.PASS and "install" not in passed.output
    (tmp_path / "ownpkg").mkdir()  # not importable from where the command runs, but the project's own
    own = python(tmp_path, "import sys; sys.path.clear(); import ownpkg")
    assert own.status == CheckStatus.FAIL and "No module named 'ownpkg'" in own.output
    assert "install" not in own.output and "missing_modules" not in content(own)


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


def test_the_first_failures_cause_counts_when_the_tails_lost_it(tmp_path: Path) -> None:
    """pathvalidate: "failing: test/test_click.py (ModuleNotFoundError: No module named 'click') …
    missing modules: tcolorpy, allpairspy": the tails had scrolled past click."""
    details = {
        "facts": {"pytest": {"failed": 0, "cause": "ModuleNotFoundError: No module named 'click'"}},
        "stdout_tail": "E   ModuleNotFoundError: No module named 'tcolorpy'\n",
        "stderr_tail": "",
    }
    output = explained(tmp_path, "exit 2 in 1.00s\n0 tests: 4 errors", details, {"build": {}})
    assert output.split("\n")[1] == "0 tests: 4 errors; missing modules: click, tcolorpy"
    assert details["missing_modules"] == ["click", "tcolorpy"]


def test_a_fixture_of_a_known_plugin_that_is_missing_names_the_plugin(tmp_path: Path) -> None:
    """shellingham's tests use ``mocker`` and declare no pytest-mock: "fixture 'mocker' not found"
    and nothing said which package gives it."""
    details = {
        "facts": {"pytest": {"errors": 2, "cause": "fixture 'mocker' not found"}},
        "stdout_tail": "E       fixture 'mocker' not found\nE       fixture 'nosuch' not found\n",
        "stderr_tail": "",
    }
    output = explained(tmp_path, "exit 1 in 1.00s\n1 test: 1 error", details, {"build": {}})
    assert output.split("\n")[2] == (
        "no installed pytest plugin gives the fixture 'mocker': add pytest-mock under "
        "environment.packages in initial.md"
    )
    venv = explained(tmp_path, "exit 1 in 1.00s\n1 test: 1 error", dict(details), {"kind": "venv"})
    assert "install pytest-mock in the project's .venv" in venv
    assert "nosuch" not in output  # a fixture no known plugin gives: nothing to say


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


def test_the_benchmark_fixture_of_a_project_that_names_codspeed_is_pytest_codspeeds(tmp_path: Path) -> None:
    """xxhash's benchmark tests "are meant to be run in CodSpeed walltime mode": the advice named
    pytest-benchmark, which times every test as a benchmark (janus' test check: 20 s against 5)."""
    details = {"stdout_tail": "E       fixture 'benchmark' not found\n", "stderr_tail": ""}
    output = "exit 1 in 1.00s\n1 test: 1 error"
    assert "add pytest-benchmark under" in explained(tmp_path, output, dict(details), {"build": {}})
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests/test_bench.py").write_text('"""Run in CodSpeed walltime mode."""\n')
    said = explained(tmp_path, output, dict(details), {"build": {}})
    assert "no installed pytest plugin gives the fixture 'benchmark': add pytest-codspeed under" in said


OAUTHLIB_SETUP = """
rsa_require = ['cryptography>=3.0.0']
signedtoken_require = ['cryptography>=3.0.0', 'pyjwt>=2.0.0,<3']
setup(
    name='oauthlib',
    extras_require={'rsa': rsa_require, 'signedtoken': signedtoken_require, 'signals': ['blinker>=1.4.0']},
)
"""


def test_a_missing_module_an_extra_of_the_project_declares_names_that_extra(tmp_path: Path) -> None:
    """oauthlib's tests import ``jwt``: "add its package under environment.packages" named neither
    pyjwt nor the ``signedtoken`` extra that declares it (PyPI's ``jwt`` is another project)."""
    (tmp_path / "setup.py").write_text(OAUTHLIB_SETUP)
    environment = {"kind": "isolated", "build": {"sources": ["the project itself"]}}
    said = advice(["jwt", "hypothesis"], environment, tmp_path)
    assert said.startswith(
        "the checks' environment lacks what the project's extras declare: its extra 'signedtoken' "
        "declares pyjwt ('jwt'): add 'signedtoken' under environment.extras in initial.md; "
    )
    assert said.endswith(
        "no module 'hypothesis': if the command needs it, add its package under environment.packages "
        "in initial.md"
    )
    installed = {"kind": "isolated", "build": {"sources": ["setup.py extras: signedtoken"]}}
    assert "environment.extras" not in advice(["jwt"], installed, tmp_path)  # installed already: not that
    pyproject = (
        '[project]\nname = "deepdiff"\n[project.optional-dependencies]\ncli = ["click>=8"]\ndev = ["pytz"]\n'
    )
    (tmp_path / "pyproject.toml").write_text(pyproject)
    assert (
        "its extra 'cli' declares click ('click'); its extra 'dev' declares pytz ('pytz'): add 'cli', 'dev'"
        in (advice(["click", "pytz"], environment, tmp_path))
    )


def test_a_missing_module_is_named_on_a_long_facts_line_within_its_limit() -> None:
    """responses: the test check's facts line with its missing module came to 318 characters."""
    facts_line = "240 tests: 236 passed, 4 errors; failing: " + ", ".join(
        f"tests/test_{i}.py" for i in range(20)
    )
    output = f"exit 1 in 2.0s (Python 3.11.7)\n{facts_line}\ntail"
    details: dict[str, object] = {
        "facts": {"pytest": {"tests": 240}},
        "stdout_tail": "No module named 'tomli_w'",
    }
    line = explained(Path("/nowhere"), output, details, {"build": {}}).split("\n")[1]
    assert line.endswith("; missing module: tomli_w") and len(line) <= 300


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


def test_an_unknown_mark_of_a_known_plugin_names_the_extra_that_declares_it(tmp_path: Path) -> None:
    """responses' tests mark ``asyncio``; its ``tests`` extra declares pytest-asyncio, and the
    advice named only a missing module of the four errors' causes."""
    pkg_info = 'Metadata-Version: 2.1\nName: responses\nRequires-Dist: pytest-asyncio; extra == "tests"\n'
    (tmp_path / "PKG-INFO").write_text(pkg_info)
    tail = "E   pytest.PytestUnknownMarkWarning: Unknown pytest.mark.asyncio - is this a typo?"
    output = "exit 2 in 1.0s (Python 3.11.7)\n3 errors (3 in collection)\ntail"
    details: dict[str, object] = {"facts": {"pytest": {"tests": 0, "errors": 3}}, "stdout_tail": tail}
    text = explained(tmp_path, output, details, {"build": {"sources": ["pyproject.toml"]}})
    assert text.split("\n")[2] == (
        "no installed pytest plugin gives the mark 'asyncio': the checks' environment lacks what the "
        "project's extras declare: its extra 'tests' declares pytest-asyncio ('pytest-asyncio'): add "
        "'tests' under environment.extras in initial.md"
    )
    assert explained(Path("/nowhere"), output, details, {"kind": "venv"}).split("\n")[2] == (
        "no installed pytest plugin gives the mark 'asyncio': install pytest-asyncio in the project's .venv"
    )


def test_a_module_a_folder_of_the_project_holds_is_its_own(tmp_path: Path) -> None:
    """invoke 3.0.3: "missing module: yaml" (its vendored invoke/vendor/yaml) and then
    "shared_conf" (its sites/shared_conf.py), each with "add its package"; a module under a
    hidden folder or an environment is no module of the project's."""
    for name in (
        "invoke/vendor/yaml/__init__.py",
        "sites/shared_conf.py",
        ".venv/lib/attr.py",
        "venv/six.py",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    output = "\n".join(
        f"ModuleNotFoundError: No module named '{m}'" for m in ("yaml", "shared_conf", "attr", "six")
    )
    assert missing_modules(tmp_path, output) == ["attr", "six"]


def test_the_missing_module_on_a_long_facts_line_leaves_its_coverage_whole() -> None:
    """passlib: "…; coverage: lines …; missing module: pkg_resources": the line was cut at its end
    to make room, and the coverage figure went."""
    names = ", ".join(f"passlib.tests.test_module_{n}.SomeTestCase.test_something_long_{n}" for n in range(3))
    line = f"5640 tests ran: 1 failure, 1 error, 3627 skipped; failing: {names}; coverage: lines 80.12%"
    output = f"exit 1 in 151.12s (coverage 7.18.0, Python 3.11.7)\n{line}\ntail"
    tail = "E   ModuleNotFoundError: No module named 'pkg_resources'\n"
    details = {"facts": {"unittest": {"tests": 5640}}, "stdout_tail": tail}
    said_line = explained(Path("/nowhere"), output, details, {"kind": "isolated"}).split("\n")[1]
    assert said_line.endswith("…; coverage: lines 80.12%; missing module: pkg_resources"), said_line
    assert len(said_line) <= 300


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


def test_a_missing_module_a_dependency_group_declares_names_the_group(tmp_path: Path) -> None:
    """griffe 1.15.0: its tests import mkdocstrings, which only its ``docs`` group declares; the
    advice said to add the package, where installing the group brings its pinned range."""
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "griffe"\n[dependency-groups]\ntests = ["pytest"]\n'
        'docs = ["mkdocstrings[python]<2", {include-group = "tests"}]\n'
    )
    details = {"stdout_tail": "E   ModuleNotFoundError: No module named 'mkdocstrings'\n", "stderr_tail": ""}
    environment = {"build": {"sources": ["pyproject.toml dependency groups: tests"]}}
    output = explained(tmp_path, "exit 1 in 1.00s\n0 tests: 1 error", details, environment)
    assert output.split("\n")[1] == (
        "the checks' environment lacks what the project's dependency groups declare: its dependency "
        "group 'docs' declares mkdocstrings ('mkdocstrings'): add 'docs' under environment.groups in "
        "initial.md"
    )
    environment = {"build": {"sources": ["pyproject.toml dependency groups: tests, docs"]}}  # installed
    assert "add its package under environment.packages" in explained(
        tmp_path, "exit 1\nx", details, environment
    )


def test_a_test_helper_a_source_distribution_leaves_out_is_said_as_the_tests_own(tmp_path: Path) -> None:
    """mmh3 5.1.0's sdist: its tests run ``from helper import u32_to_s32`` and ship no
    ``tests/helper.py``; the advice said to add a package named 'helper' under environment.packages."""
    (tmp_path / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: mmh3\nVersion: 5.1.0\n")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_mmh3.py").write_text("import mmh3\nfrom helper import u32_to_s32\n")
    details = {"stdout_tail": "E   ModuleNotFoundError: No module named 'helper'\n", "stderr_tail": ""}
    output = explained(tmp_path, "exit 2 in 1.00s\n0 tests: 2 errors", details, {"build": {}})
    assert output.split("\n")[1] == (
        "the tests import 'helper' as a module of their own (tests/test_mmh3.py), which this source "
        "distribution leaves out: run the tests from the project's repository, or add the module"
    )
    (tmp_path / "PKG-INFO").unlink()  # a checkout of the repository: a package to add, perhaps
    assert "add its package under environment.packages" in explained(
        tmp_path, "exit 2\nx", details, {"build": {}}
    )
