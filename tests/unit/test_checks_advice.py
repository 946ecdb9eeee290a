"""A failed command that could not import a module says which and what to do
(``prp_tasks.checks.advice``): the names on the facts line, the advice for the environment kind.
"""

from __future__ import annotations

from pathlib import Path

from prp_tasks.checks.advice import advice, explained, missing_modules, said
from prp_tasks.core.models import CheckStatus
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


def test_an_unknown_mark_that_only_warned_is_no_cause_given_advice(tmp_path: Path) -> None:
    """Cerberus' sdist: a module of its own missing failed the collection, and the advice said
    "no installed pytest plugin gives the mark 'benchmark': add pytest-benchmark", from a warning
    that failed nothing (adding it changed nothing). An async test without its plugin did fail."""
    warned = (
        "cerberus/benchmarks/test_overall_performance_1.py:50\n  /w/cerberus/benchmarks/test_overall_"
        "performance_1.py:50: PytestUnknownMarkWarning: Unknown pytest.mark.benchmark - is this a typo?\n"
        "E   ModuleNotFoundError: No module named 'cerberus.benchmarks.schemas'\n"
    )
    output = "exit 2 in 1.3s (Python 3.11.7)\n0 tests: 1 error (1 in collection)\ntail"
    details: dict[str, object] = {"facts": {"pytest": {"tests": 0, "errors": 1}}, "stdout_tail": warned}
    assert "pytest plugin" not in explained(tmp_path, output, details, {"build": {}})
    async_run = (
        "  /w/test_pickledb.py:100: PytestUnknownMarkWarning: Unknown pytest.mark.asyncio - is this a typo?\n"
        "FAILED test_pickledb.py::test_async_set - Failed: async def functions are not natively supported.\n"
    )
    details = {"facts": {"pytest": {"tests": 9, "failures": 1}}, "stdout_tail": async_run}
    text = explained(tmp_path, output, details, {"build": {}})
    assert "no installed pytest plugin gives the mark 'asyncio': " in text, text


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


def test_a_package_the_tests_import_is_not_said_to_be_a_module_of_their_own(tmp_path: Path) -> None:
    """flasgger 0.9.7.1's sdist: its tests import flex, the PyPI package its requirements-dev.txt
    (left out) names; the advice said "the tests import 'flex' as a module of their own"."""
    (tmp_path / "PKG-INFO").write_text("Metadata-Version: 2.1\nName: flasgger\nVersion: 0.9.7.1\n")
    (tmp_path / "tests").mkdir()
    text = "from flex.core import validate\nfrom flex import load as validate_fully\n"
    (tmp_path / "tests" / "test_examples.py").write_text(text)
    details = {"stdout_tail": "E   ModuleNotFoundError: No module named 'flex'\n", "stderr_tail": ""}
    output = explained(tmp_path, "exit 2 in 1.00s\n0 tests: 1 error", details, {"build": {}})
    assert output.split("\n")[1] == (
        "the checks' environment has no module 'flex': if the command needs it, add its package under "
        "environment.packages in initial.md"
    )


def test_a_service_the_tests_could_not_reach_is_said_after_the_facts(tmp_path: Path) -> None:
    """mongoengine's suite, killed at its limit: "timed out after 600s (killed …); until then: 116
    tests: 91 passed, 19 failed", each failing test having waited 30 s on a MongoDB the machine
    lacks, which only one exception deep in the output said."""
    tail = (
        "FAILED tests/document/test_class_methods.py::TestClassMethods::test_definition - "
        "pymongo.errors.ServerSelectionTimeoutError: localhost:27017: [Errno 111] Connection refused "
        "(configured timeouts: socketTimeoutMS: 20000.0ms, connectTimeoutMS: 20000.0ms)\n"
        "E   redis.exceptions.ConnectionError: Error 111 connecting to localhost:6379. Connection refused.\n"
    )
    output = "timed out after 600s (killed; the limit: PRP_CHECK_TIMEOUT_S)\nuntil then: 116 tests\ntail"
    details: dict[str, object] = {"facts": {"pytest": {"tests": 116, "failures": 19}}, "stdout_tail": tail}
    text = explained(tmp_path, output, details, {"build": {}}).split("\n")
    assert text[2] == (
        "the tests could not connect to localhost:27017 (MongoDB), localhost:6379 (Redis): connection "
        "refused, no such service answers where the checks run; the suite needs it running there "
        "(started before the run, as the project's CI does)"
    )
    quiet = {
        "facts": {"pytest": {"tests": 1}},
        "stdout_tail": "ConnectionRefusedError: [Errno 111] Connection refused\n",
    }
    assert "could not connect" not in explained(tmp_path, output, quiet, {"build": {}})  # (no address)
