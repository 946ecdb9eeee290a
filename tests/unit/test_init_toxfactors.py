"""``prp init`` and a ``[testenv]`` shared by several envs: what the env running the tests (or
mypy) installs behind its factors, and the pins of this Python's env before other Pythons'."""

from __future__ import annotations

import re
from pathlib import Path

from prp_tasks.intake.init.detect import detect
from prp_tasks.intake.init.toxenvs import THIS_PYTHON, env_for, for_env, listed_envs
from tests.unit.test_init import parsed, write

AUTOMAT = """[tox]
envlist = lint,{pypy3,py38,PY}-mypy,{pypy3,py38,PY}-{extras,noextras},docs

[testenv]
deps =
    extras: graphviz>=0.4.9
    extras: Twisted>=16.2.0

    mypy: mypy
    mypy: zope.interface

    coverage
    pytest

commands =
    {extras,noextras}: coverage run --parallel --source src -m pytest src/automat/_test
    mypy: mypy {posargs:src/automat}
""".replace("PY", THIS_PYTHON)


def test_the_factors_of_an_env_give_it_their_lines() -> None:
    assert listed_envs("lint, py{38,311}-mypy\n docs") == ["lint", "py38-mypy", "py311-mypy", "docs"]
    deps = "extras: graphviz\n!extras: nothing\n{a,b}-c: x\ncoverage"
    assert for_env(deps, "py311-extras").split("\n") == ["graphviz", "coverage"]
    assert for_env(deps, "b-c").split("\n") == ["nothing", "x", "coverage"]


def test_the_env_running_the_tests_is_this_pythons_that_installs_the_most() -> None:
    """Automat's ``py3X-{extras,noextras}``: the extras variant (76 passed, 7 skipped) over noextras
    (43 passed, 40 skipped: "Twisted is not installed")."""
    names = ["py38-extras", f"{THIS_PYTHON}-noextras", f"{THIS_PYTHON}-extras", "docs"]
    settings = {"commands": "{extras,noextras}: pytest", "deps": "extras: twisted\npytest"}
    chosen = env_for(names, lambda key, env: for_env(settings[key], env), re.compile("pytest"))
    assert chosen == f"{THIS_PYTHON}-extras"


def test_a_shared_testenv_installs_what_its_test_and_mypy_envs_get_behind_their_factors(
    tmp_path: Path,
) -> None:
    """Automat: its type check failed on zope.interface ("import-not-found", blamed on the mypy
    release) and 40 of its 83 tests skipped without Twisted; incremental: ``tests:
    -rrequirements_tests.txt`` was read as installing nothing."""
    write(tmp_path, {"tox.ini": AUTOMAT, "setup.py": "import setuptools\nsetuptools.setup()\n"})
    write(
        tmp_path, {"src/automat/__init__.py": "", "src/automat/_test/test_a.py": "def test_a():\n    pass\n"}
    )
    facts = detect(tmp_path)
    assert facts.test_deps["twisted"] == (
        "Twisted>=16.2.0",
        f"tox.ini [testenv] deps, for {THIS_PYTHON}-extras",
    )
    assert "zope-interface" in facts.type_deps and "mypy" in facts.type_deps
    tox = "[tox]\nenvlist = lint, tests\n\n[testenv]\ndeps =\n    tests: -rrequirements_tests.txt\n"
    tox += "commands =\n    tests: coverage run -m pytest\n"
    write(tmp_path, {"tox.ini": tox, "requirements_tests.txt": "pytest\n"})
    assert detect(tmp_path).test_requirement_files == {
        "requirements_tests.txt": "tox.ini [testenv] deps, for tests"
    }


def test_this_pythons_env_gives_the_pins_and_options(tmp_path: Path) -> None:
    """executing: ``[testenv:mypy-py{38,39,310}]`` pins mypy 1.14.1 and excludes a module, its
    ``[testenv:mypy-py{311,…}]`` runs mypy 2.1.0 on all of it; the first was taken."""
    tox = (
        "[tox]\nenvlist = mypy-py{38,310}, mypy-PY\n\n"
        "[testenv:mypy-py{38,39,310}]\ndeps =\n    mypy==1.14.1\n"
        "commands =\n    python -m mypy pkg --exclude=pkg/x.py\n\n"
        "[testenv:mypy-{PY,py399}]\ndeps =\n    mypy==2.1.0\ncommands =\n    python -m mypy pkg\n"
    ).replace("PY", THIS_PYTHON)
    write(tmp_path, {"tox.ini": tox, "pkg/__init__.py": "", "pkg/x.py": ""})
    text, result = parsed(tmp_path)
    assert '"mypy==2.1.0"' in text
    assert "--exclude=pkg/x.py" not in result.profile.governance.commands["type-check"]


def test_twisted_trial_runs_what_the_projects_first_trial_command_runs(tmp_path: Path) -> None:
    """incremental 24.11.0's tox: ``tests: coverage run {envbindir}/trial incremental``; the check
    ran unittest discovery of ``tests`` (1 test of 86, an error)."""
    tox = (
        "[tox]\nenvlist = lint, tests\n\n[testenv]\ndeps =\n    tests: -rrequirements_tests.txt\ncommands =\n"
        "    tests: coverage run {envbindir}/trial pkg\n"
        "    tests: coverage run {envbindir}/trial tests/test_x.py\n"
    )
    write(
        tmp_path, {"tox.ini": tox, "requirements_tests.txt": "twisted\ncoverage\n", "src/pkg/__init__.py": ""}
    )
    write(tmp_path, {"tests/test_x.py": "from twisted.trial import unittest\n"})
    test = parsed(tmp_path)[1].profile.governance.commands["test"]
    # (its own run names nothing to measure and no threshold: its package is measured)
    assert test == ("python", "-m", "coverage", "run", "--source=pkg", "-m", "twisted.trial", "pkg")


def test_a_tox_env_running_trial_alone_runs_the_tests(tmp_path: Path) -> None:
    tox = "[tox]\nenvlist = py\n\n[testenv]\ndeps = twisted\ncommands = trial pkg\n"
    write(
        tmp_path,
        {"tox.ini": tox, "pkg/__init__.py": "", "pkg/test/test_a.py": "from twisted.trial import unittest\n"},
    )
    assert parsed(tmp_path)[1].profile.governance.commands["test"] == ("python", "-m", "twisted.trial", "pkg")


DOTTED = THIS_PYTHON.replace("py3", "3.", 1)  # py311 -> 3.11
TQDM = """[tox]
envlist=3.{8,9,10,11,12,13,14}{,-tf}{,-keras}, perf
GH
[testenv]
deps=
    pytest
    tf: tensorflow!=2.5.0
    keras: keras
commands=
    {envpython} -m pytest -k "not perf"
"""


def test_envs_named_by_dotted_pythons_are_other_pythons_envs(tmp_path: Path) -> None:
    """tqdm's ``3.{8,…,14}{,-tf}{,-keras}``: its tests installed tensorflow and keras "for
    3.8-tf-keras", the first env installing the most, as if ``3.8`` named no Python."""
    names = ["3.8-tf-keras", DOTTED, f"{DOTTED}-keras"]
    settings = {"commands": "pytest", "deps": "pytest\nkeras: keras"}
    chosen = env_for(names, lambda key, env: for_env(settings[key], env), re.compile("pytest"))
    assert chosen == f"{DOTTED}-keras"
    write(tmp_path, {"tox.ini": TQDM.replace("GH", ""), "pkg/__init__.py": "", "tests/test_a.py": ""})
    assert detect(tmp_path).test_deps["keras"] == ("keras", f"tox.ini [testenv] deps, for {DOTTED}-tf-keras")


def test_the_env_ci_runs_on_this_python_is_the_tests_env(tmp_path: Path) -> None:
    """tqdm's tox-gh mapping runs env ``3.11`` on 3.11 and the tf/keras variants on 3.13 only;
    tox-gh-actions' names are factors of the envlist's envs."""
    gh = f"[gh]\npython=\n    3.8 = 3.8\n    {DOTTED} = {DOTTED}\n    3.13 = 3.13-tf,3.13-tf-keras\n"
    write(tmp_path, {"tox.ini": TQDM.replace("GH", gh), "pkg/__init__.py": "", "tests/test_a.py": ""})
    facts = detect(tmp_path)
    assert "pytest" in facts.test_deps
    assert "tensorflow" not in facts.test_deps and "keras" not in facts.test_deps
    # tox-gh-actions runs the envlist's envs having the factors it names: 3.11-keras, 3.11-tf-keras
    actions = f"[gh-actions]\npython =\n    {DOTTED}: {DOTTED}-keras\n"
    write(tmp_path, {"tox.ini": TQDM.replace("GH", actions)})
    facts = detect(tmp_path)
    assert "keras" in facts.test_deps and facts.test_deps["tensorflow"][1].endswith(f"for {DOTTED}-tf-keras")


def test_a_variant_pinning_the_lowest_versions_is_not_the_tests_env(tmp_path: Path) -> None:
    """environs' ``py{310,…}-marshmallow{lowest,dev}``: its tests and type check were given
    ``marshmallow==4.0.0`` "for py311-marshmallowlowest", the first of two envs installing as much."""
    tox = (
        "[tox]\nenvlist = py{310,PY}-marshmallow{lowest,dev}\n\n[testenv]\ndeps =\n"
        "    marshmallowlowest: marshmallow==4.0.0\n"
        "    marshmallowdev: https://github.com/marshmallow-code/marshmallow/archive/dev.tar.gz\n"
        "commands = pytest {posargs}\n"
    ).replace("PY", THIS_PYTHON)
    write(tmp_path, {"tox.ini": tox, "pkg/__init__.py": "", "tests/test_a.py": ""})
    assert "marshmallow" not in detect(tmp_path).test_deps
    names = [f"{THIS_PYTHON}-min", f"{THIS_PYTHON}-oldestdeps", f"{THIS_PYTHON}-latest"]
    settings = {"commands": "pytest", "deps": "min: a==1\noldestdeps: b==1"}
    chosen = env_for(names, lambda key, env: for_env(settings[key], env), re.compile("pytest"))
    assert chosen == f"{THIS_PYTHON}-latest"


def test_the_section_ci_runs_on_this_python_gives_the_tests_env(tmp_path: Path) -> None:
    """tabulate's ``[gh] python = 3.11: py311-extra``, its own section installing numpy, pandas and
    wcwidth: with them 334 tests passed, where ``[testenv]``'s pytest alone skipped 39."""
    tox = (
        f"[tox]\nenvlist = lint, py{{38,{THIS_PYTHON[2:]}}}\n\n"
        f"[gh]\npython =\n    {DOTTED}: {THIS_PYTHON}-extra\n\n"
        "[testenv]\ncommands = pytest -v --doctest-modules\ndeps =\n    pytest\n\n"
        f"[testenv:{THIS_PYTHON}-extra]\ncommands = pytest -v --doctest-modules\n"
        "deps =\n    pytest\n    numpy\nsetenv =\n    PYTHONDEVMODE = 1\n"
    )
    write(tmp_path, {"tox.ini": tox, "pkg/__init__.py": "", "tests/test_a.py": ""})
    facts = detect(tmp_path)
    assert facts.test_deps["numpy"] == ("numpy", f"tox.ini [testenv:{THIS_PYTHON}-extra] deps")
    assert facts.test_variables["PYTHONDEVMODE"][0] == "1"


def test_tox_4s_env_list_is_the_envlist(tmp_path: Path) -> None:
    """python-slugify's tox.ini ``env_list = py{3.10, 3.11, …}-{unidecode, …}``: unread, its tests
    were not given Unidecode (5 skipped: "unidecode backend absent"); tox.toml's ``env_list`` and
    ``[gh.python]`` likewise."""
    tox = (
        f"[tox]\nenv_list =\n    py{{3.10, {DOTTED}}}-{{unidecode, anyascii}}\n    mypy\n\n"
        "[testenv]\ndeps =\n    pytest\n    unidecode: Unidecode>=1.1.1\n    anyascii: anyascii\n"
        "commands = pytest\n"
    )
    write(tmp_path, {"tox.ini": tox, "pkg/__init__.py": "", "tests/test_a.py": ""})
    where = f"tox.ini [testenv] deps, for py{DOTTED}-unidecode"
    assert detect(tmp_path).test_deps["unidecode"] == ("Unidecode>=1.1.1", where)
    (tmp_path / "tox.ini").unlink()
    toml = (
        f'env_list = ["py310", "{THIS_PYTHON}", "{THIS_PYTHON}-re2"]\n\n'
        '[env_run_base]\ncommands = [["pytest"]]\ndeps = ["pytest", "re2: google-re2"]\n\n'
        f'[gh.python]\n"{DOTTED}" = ["{THIS_PYTHON}"]\n'
    )
    write(tmp_path, {"tox.toml": toml})
    assert "google-re2" not in detect(tmp_path).test_deps  # CI runs the plain env on this Python
    write(tmp_path, {"tox.toml": toml.replace(f'["{THIS_PYTHON}"]', f'["{THIS_PYTHON}-re2"]')})
    assert detect(tmp_path).test_deps["google-re2"][1] == f"tox.toml [testenv] deps, for {THIS_PYTHON}-re2"


def test_a_setenv_value_from_the_environment_is_its_default(tmp_path: Path) -> None:
    """blessed's ``TEST_QUICK = {env:TEST_QUICK:1}``: left out, its full suite ran (1859 tests
    where tox runs 1824); a value from the environment without a default stays unknown."""
    tox = (
        "[testenv]\ncommands = pytest tests\ndeps = pytest\n"
        "setenv =\n    TEST_QUICK = {env:TEST_QUICK:1}\n    TOKEN = {env:TOKEN}\n    TERM =\n"
    )
    write(tmp_path, {"tox.ini": tox, "pkg/__init__.py": "", "tests/test_a.py": ""})
    variables = detect(tmp_path).test_variables
    assert variables["TEST_QUICK"] == ("1", "tox.ini [testenv] setenv") and variables["TERM"][0] == ""
    assert "TOKEN" not in variables


DJANGO_ENVIRON = """[tox]
envlist =
    lint
    PY-django{22,42,52}
    py314-django{60}

[gh-actions]
python =
    VERSION: PY

[testenv]
deps =
    django22: Django>=2.2,<3.0
    django42: Django>=4.2,<5.0
    django52: Django>=5.2,<6.0
    django60: Django>=6.0,<6.1
commands =
    coverage run -m pytest {posargs}
"""


def test_a_gh_actions_factor_runs_the_envlists_envs_that_have_it_the_newest_of_alike_ones(
    tmp_path: Path,
) -> None:
    """django-environ: ``[gh-actions] python = 3.11: py311`` runs ``py311-django22`` … ``py311-django52``
    (tox-gh-actions matches factors): read as an env ``py311`` of its own, the tests ran without
    Django; of the alike envs the last listed is the newest version (deprecated's wrapt 2.0)."""
    version = f"{THIS_PYTHON[2]}.{THIS_PYTHON[3:]}"
    tox = DJANGO_ENVIRON.replace("PY", THIS_PYTHON).replace("VERSION", version)
    write(tmp_path, {"tox.ini": tox, "setup.py": "", "environ/__init__.py": "", "tests/test_a.py": ""})
    said, result = parsed(tmp_path)
    env = result.profile.environment
    assert env is not None and "Django>=5.2,<6.0" in env.packages
    assert f"tox.ini [testenv] deps, for {THIS_PYTHON}-django52" in said
