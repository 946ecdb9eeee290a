"""``prp init`` installs what the project's own tox envs, pre-commit hooks, lock file and declared
tools say its checks need: the extras, groups, packages, requirement files, variables and preparing
commands of the env that runs its tests (the tools' versions: ``test_init_versions.py``)."""

from __future__ import annotations

from pathlib import Path

from prp_tasks.intake.init.detect import detect
from tests.unit.test_init import parsed, write


def test_a_tool_pinned_in_tox_deps_is_installed_at_that_version(tmp_path: Path) -> None:
    """cachetools: ``black==22.12.0; implementation_name == "cpython"`` in tox.ini's deps."""
    write(
        tmp_path,
        {
            "setup.cfg": "[metadata]\nname = cachy\n",
            "tox.ini": "[testenv:check-format]\ndeps =\n"
            '    black==22.12.0; implementation_name == "cpython"\ncommands =\n    black --check --diff .\n',
            "src/cachy/__init__.py": "",
        },
    )
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None
    assert "black==22.12.0" in result.profile.environment.packages
    assert "tox.ini [testenv:check-format] deps" in text


def test_a_tool_pinned_in_a_requirement_file_with_hashes_is_installed_at_that_version(
    tmp_path: Path,
) -> None:
    """desert: pip-compile's ``--generate-hashes`` writes ``black==22.8.0 \\`` then ``--hash``
    lines; its tox check env installs that file and runs ``black --check``: the pin was not
    read, black was "no version pinned by the project" and the format check ran 22.12.0."""
    pinned = (
        "black==22.8.0 \\\n    --hash=sha256:0123 \\\n    --hash=sha256:4567\n    # via -r dev.in\n"
        "mypy==0.971 \\\n    --hash=sha256:89ab\n"
    )
    write(
        tmp_path,
        {
            "setup.cfg": "[metadata]\nname = des\n",
            "dev-requirements.txt": pinned,
            "tox.ini": "[testenv:check]\ndeps =\n    -r {toxinidir}/dev-requirements.txt\n"
            "commands =\n    black --check {toxinidir}\n    mypy src/des/\n",
            "src/des/__init__.py": "",
        },
    )
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None
    assert {"black==22.8.0", "mypy==0.971"} <= set(result.profile.environment.packages)
    assert "no version pinned" not in text


def test_the_extras_and_deps_tox_installs_for_the_tests_are_installed(tmp_path: Path) -> None:
    """pyparsing: ``[testenv] extras = diagrams``; its diagram tests import what that extra
    installs, which the default choice (a ``test`` extra …) leaves out."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "parsy"\n[project.optional-dependencies]\n'
            'diagrams = ["jinja2"]\ntest = ["pytest"]\nspeedups = ["cython"]\ndocs = ["sphinx"]\n',
            "tox.ini": "[testenv]\nextras = diagrams\n    py312: speedups\n    {py27,py35,py36}-full: docs\n"
            "deps =\n    pytest\n"
            "    matplotlib; implementation_name != 'pypy'\n    -r requirements.txt\n    py38: mock\n"
            "    parsy[test]\n    tox\n    poetry\ncommands = pytest\n"
            "[testenv:docs]\nextras = docs\ncommands = sphinx-build docs out\n"
            "[testenv:missing]\nextras = nosuch\ncommands = pytest\n",
            "parsy/__init__.py": "",
        },
    )
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None
    # named extras replace the default choice, so the default one comes first; a factor's extra,
    # the docs env's and one the project does not declare are left out
    assert result.profile.environment.extras == ("test", "diagrams")
    assert list(detect(tmp_path).test_extras) == ["diagrams"]  # not munch's "py35" of a factor line
    assert "its tests install it (tox.ini [testenv] extras)" in text
    # and what the tests' tox env installs, but not options, factor lines, the project or what runs
    # it (rsa's tox deps: poetry, whose dependencies brought a pytest plugin its pytest could not load)
    assert result.profile.environment.packages == ("pytest", "matplotlib; implementation_name != 'pypy'")
    # validators: ``.[crypto-eth-addresses]`` among the deps is the project with that extra (its 17
    # eth address tests failed without it)
    write(tmp_path, {"tox.ini": "[testenv]\ndeps =\n    pytest\n    .[speedups,docs]\ncommands = pytest\n"})
    environment = parsed(tmp_path)[1].profile.environment
    assert environment is not None and environment.extras == ("test", "speedups", "docs")


def test_the_tox_env_that_runs_the_tests_is_the_one_read_with_what_it_inherits(tmp_path: Path) -> None:
    """markdown-it-py: ``[testenv]`` runs nothing; ``[testenv:py{310,311}]`` runs pytest with
    ``extras = testing, linkify`` (32 tests skipped without linkify) and inherits the deps."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "mdi"\n[project.optional-dependencies]\n'
            'testing = ["pytest"]\nlinkify = ["linkify-it-py"]\n',
            "tox.ini": "[testenv]\ndeps = pytest-timeout\n[testenv:py{310,311}]\nextras = testing, linkify\n"
            "commands = pytest {posargs:tests/}\n[testenv:py38-extra]\ndeps = numpy==1.24.4\n"
            "commands = pytest\n",
            "mdi/__init__.py": "",
            "tests/test_a.py": "import pytest\n",
        },
    )
    _, result = parsed(tmp_path)
    assert result.profile.environment is not None
    assert result.profile.environment.extras == ("testing", "linkify")
    assert result.profile.environment.packages == ("pytest", "pytest-timeout")


def test_the_groups_the_type_check_and_the_tests_need_are_installed(tmp_path: Path) -> None:
    """cachelib: mypy ran without its ``typing`` group (boto3-stubs): 4 errors where the project
    has none; tox's ``dependency_groups`` of the tests' env are installed too."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "cachy"\n[dependency-groups]\ntests = ["pytest"]\n'
            'typing = ["boto3-stubs"]\nservices = ["redis"]\ndocs = ["sphinx"]\n[tool.mypy]\nstrict = true\n',
            "tox.ini": "[testenv]\ndependency_groups = tests\n    services\ncommands = pytest\n",
            "cachy/__init__.py": "",
            "tests/test_a.py": "import pytest\n",
        },
    )
    text, result = parsed(tmp_path)
    env = result.profile.environment
    assert env is not None and env.groups == ("tests", "services")
    # what the type check needs, in an environment of its own: the tests run as their tox env does
    # (structlog's typing group un-skipped 44 of its tests)
    assert result.profile.environments["type-check"].groups == ("tests", "typing", "services")
    assert "mypy runs: what its type check needs" in text
    # attrs: its mypy group brings pytest-mypy-plugins, which would add 86 tests to the test check
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "cachy"\n[dependency-groups]\ntests = ["pytest"]\n'
            'mypy = ["mypy", "pytest-mypy-plugins"]\ntypes = ["types-six"]\n[tool.mypy]\n',
            "tox.ini": "[testenv:mypy]\ndependency_groups = mypy\ncommands = mypy src\n",
        },
    )
    profile = parsed(tmp_path)[1].profile
    assert profile.environment is None or profile.environment.groups is None  # the tests' default
    assert profile.environments["type-check"].groups == ("tests", "mypy", "types")
    # environs: its mypy env installs the group django, not the extra of the same name
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "cachy"\n[project.optional-dependencies]\ndjango = ["dj"]\n'
            '[dependency-groups]\ntests = ["pytest"]\ndjango = ["django-stubs"]\n[tool.mypy]\n',
            "tox.ini": "[testenv:mypy]\ndependency_groups = django\ncommands = mypy src\n",
        },
    )
    type_env = parsed(tmp_path)[1].profile.environments["type-check"]
    assert type_env.groups == ("tests", "django") and type_env.extras is None
    write(tmp_path, {"pyproject.toml": '[project]\nname = "cachy"\n[tool.pyright]\n', "tox.ini": ""})
    assert "type-checks with pyright" in parsed(tmp_path)[0]


def test_the_variables_the_tests_tox_env_sets_are_set_for_the_checks(tmp_path: Path) -> None:
    """zipp: ``setenv = PYTHONWARNDEFAULTENCODING = 1``; one test skipped without it."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "zipp"\n',
            "tox.ini": "[testenv]\nsetenv =\n\tPYTHONWARNDEFAULTENCODING = 1\n\tHOME = {envtmpdir}\n"
            "\tpy38: OLD = 1\n\tPATH = /x\ncommands_pre =\n    pybabel --quiet compile -d src/zipp/locale\n"
            "    {envpython} scripts/gen.py\n    py38: skipped\ncommands = pytest\n",
            "zipp/__init__.py": "",
            "tests/test_a.py": "import pytest\n",
        },
    )
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None
    assert result.profile.environment.variables == {"PYTHONWARNDEFAULTENCODING": "1"}
    assert result.profile.environment.prepare == (
        ("pybabel", "--quiet", "compile", "-d", "src/zipp/locale"), ("python", "scripts/gen.py"),
    )  # fmt: skip
    assert "its tests set it (tox.ini [testenv] setenv)" in text


def test_the_extra_that_declares_the_test_tools_is_installed_when_no_test_one_exists(tmp_path: Path) -> None:
    """idna: pytest and hypothesis are in its ``all`` extra; only test/tests/testing/dev were
    installed, and its property tests failed to collect."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "idna"\n[project.optional-dependencies]\n'
            'all = ["pytest", "hypothesis"]\ndocs = ["sphinx"]\n',
            "idna/__init__.py": "",
            "tests/test_a.py": "import pytest\n",
        },
    )
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None and result.profile.environment.extras == ("all",)
    assert "it declares the test tools (pytest)" in text


def test_extras_are_left_to_the_default_when_tox_installs_no_other(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "setup.cfg": "[metadata]\nname = cachy\n[options.extras_require]\ntests = pytest\n",
            "tox.ini": "[testenv]\nextras = tests\ncommands = pytest\n",
            "cachy/__init__.py": "",
        },
    )
    _, result = parsed(tmp_path)
    assert result.profile.environment is None or result.profile.environment.extras is None


def test_a_hooks_pinned_dependency_the_project_declares_does_not_replace_its_version(tmp_path: Path) -> None:
    """iniconfig: its mypy hook installs ``pytest==7.2.0`` (to type-check the tests) while its
    ``dev`` group needs ``pytest>=8.4.2``; pinned, the tests ran under pytest 7.2.0."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "ini"\n[dependency-groups]\ndev = ["pytest>=8.4.2"]\n'
            "[tool.mypy]\nstrict = true\n",
            ".pre-commit-config.yaml": "repos:\n  - repo: https://github.com/pre-commit/mirrors-mypy\n"
            "    rev: v1.13.0\n    hooks:\n      - id: mypy\n"
            '        additional_dependencies: ["pytest==7.2.0", "types-docutils==0.21", tomli]\n',
            "src/ini/__init__.py": "",
            "testing/test_a.py": "import pytest\n",
        },
    )
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None
    assert result.profile.environment.packages == ("pytest", "mypy==1.13.0", "types-docutils==0.21", "tomli")
    assert "pytest==7.2.0" not in text


def test_requirement_files_the_tests_tox_env_does_not_install_are_left_out(tmp_path: Path) -> None:
    """sortedcontainers: requirements.txt lists its developers' tools (blist, which does not build on
    Python 3.11); its tox tests install pytest only. The built environment failed, and with it every
    check, where the project's own tests pass (367)."""
    files = {
        "setup.py": "setup(name='sc')\n",
        "requirements.txt": "blist==1.3.6\npytest\n",
        "tox.ini": "[testenv]\ndeps = pytest\ncommands = python -m pytest\n",
        "sc/__init__.py": "",
        "tests/test_a.py": "",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None and result.profile.environment.requirements == ()
    assert (
        "requirements: []  # the tests' tox env (tox.ini [testenv]) installs none of requirements.txt "
        "itself" in text
    )
    write(
        tmp_path,
        {
            ".github/workflows/ci.yml": "jobs:\n  t:\n    steps:\n"
            "      - run: pip install -r requirements.txt\n"
        },
    )
    environment = parsed(tmp_path)[1].profile.environment
    assert environment is not None and environment.requirements is None  # a CI step installs it


def test_a_file_the_tests_tox_env_installs_replaces_those_it_does_not(tmp_path: Path) -> None:
    """aiosignal: its tox tests install ``-r requirements/ci-wheel.txt``, not its developers'
    requirements/dev.txt, which a built environment finds by itself. prp init wrote both
    ``requirements:`` keys (the file to install, and ``[]`` saying the env installs none of
    dev.txt), refused its own profile ("duplicate key 'requirements'") and wrote nothing."""
    files = {
        "setup.py": "setup(name='sig')\n",
        "requirements/dev.txt": "cherry_picker==2.5.0\n",
        "requirements/ci-wheel.txt": "pytest\n",
        "tox.ini": "[testenv]\ndeps = -rrequirements{/}ci-wheel.txt\ncommands = python -m pytest\n",
        "sig/__init__.py": "",
        "tests/test_a.py": "",
    }
    write(tmp_path, files)
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None
    assert result.profile.environment.requirements == ("requirements/ci-wheel.txt",)
    assert text.count("requirements:") == 1 and "dev.txt" not in text


def test_an_extra_tox_installs_in_a_variant_of_the_tests_env_is_installed(tmp_path: Path) -> None:
    """PyJWT: ``extras = crypto: crypto`` for its ``py3X-{crypto,nocrypto}`` envs; without it 189 of
    its 475 tests skipped ("Requires cryptography"), coverage 57% for the project's 97%. An extra
    behind a Python's factor (``py38: backport``) or a negated one stays out."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "pyjwt"\n[project.optional-dependencies]\n'
            'crypto = ["cryptography"]\nbackport = ["x"]\nslow = ["y"]\ntests = ["pytest"]\n',
            "tox.ini": "[tox]\nenvlist = py{39,311}-{crypto,nocrypto}\n[testenv]\nextras =\n"
            "    crypto: crypto\n    py38: backport\n    !crypto: slow\ncommands = pytest\n",
            "jwt/__init__.py": "",
        },
    )
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None
    assert result.profile.environment.extras == ("tests", "crypto")
    assert "its tests install it (tox.ini [testenv] extras, in its 'crypto' envs)" in text


def test_a_dep_behind_factors_that_name_this_python_is_installed(tmp_path: Path) -> None:
    """ecdsa: ``py{27,…,311,312,313,py,py3}: hypothesis``: left out, its tests could not import
    hypothesis ("0 tests", 21% against 2018 passed, 96.65%). A dep only for other Pythons (hyperlink's
    ``py{35,…,39}: pytest==5.2.4``) or for a variant stays out."""
    import sys

    here = f"py{sys.version_info.major}{sys.version_info.minor}"
    deps = f"    pytest\n    py{{27,35,{here[2:]}}}: hypothesis\n"
    deps += f"    py{{35,36}}: pytest==5.2.4\n    {here}-full: yaml\n"
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "ecdsa"\n',
            "tox.ini": f"[testenv]\ndeps =\n{deps}commands = pytest\n",
            "src/ecdsa/__init__.py": "",
        },
    )
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None
    assert result.profile.environment.packages == ("pytest", "hypothesis")
    assert f"the project's tests install it (tox.ini [testenv] deps, for {here})" in text


def test_extras_only_setup_py_or_pkg_info_declares_are_read(tmp_path: Path) -> None:
    """responses 0.26.3: flake8 is in the ``tests`` extra of its setup.py (and PKG-INFO), and
    prp init said "no lint tool found in the project's configuration"."""
    setup = (
        'from setuptools import setup\nsetup(name="pkg", extras_require={"tests": ["flake8", "pytest"]})\n'
    )
    write(
        tmp_path, {"setup.py": setup, "pkg/__init__.py": "", "tests/test_a.py": "def test_a():\n    pass\n"}
    )
    text, result = parsed(tmp_path)
    assert result.profile.governance.commands["lint"][:3] == ("python", "-m", "flake8")
    assert "detected: flake8: setup.py extra 'tests'" in text
    (tmp_path / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    write(
        tmp_path, {"PKG-INFO": 'Metadata-Version: 2.1\nName: pkg\nRequires-Dist: flake8; extra == "tests"\n'}
    )
    assert "detected: flake8: PKG-INFO extra 'tests'" in parsed(tmp_path)[0]


def test_setup_pys_tests_require_is_what_the_tests_install(tmp_path: Path) -> None:
    """pyrsistent 0.20.0: ``tests_require=['pytest<7', 'hypothesis<7']``; the check ran "0 tests …
    No module named 'hypothesis'", where its tests give 637 passed."""
    setup = "from setuptools import setup\nTESTS = ['pytest<7', 'hypothesis<7']\n"
    setup += "setup(name='p', tests_require=TESTS)\n"
    write(tmp_path, {"setup.py": setup, "p/__init__.py": "", "tests/test_a.py": "import pytest\n"})
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None and "hypothesis<7" in result.profile.environment.packages
    assert '"hypothesis<7"  # the project\'s tests install it (setup.py tests_require)' in text


def test_a_requirement_line_for_another_python_gives_way_to_the_one_for_this(tmp_path: Path) -> None:
    """python-json-logger's dev group: ``mypy<2; implementation_name == 'pypy' and python_version <
    '3.11'`` then ``mypy; implementation_name != 'pypy' or python_version >= '3.11'``: the first,
    false here, pinned mypy below 2 where mypy 2.4.1 ran."""
    from prp_tasks.intake.init.sources import requirement_lines

    text = (
        "mypy<2; implementation_name == 'pypy' and python_version < '3.11'\n"
        "mypy; implementation_name != 'pypy' or python_version >= '3.11'\nblack\n"
    )
    here = "mypy; implementation_name != 'pypy' or python_version >= '3.11'"
    assert requirement_lines(text)["mypy"] == here
    assert requirement_lines("pkg; sys_platform == 'never'\n")["pkg"] == "pkg; sys_platform == 'never'"


def test_what_another_python_installs_is_installed_for_a_type_check_of_that_python(tmp_path: Path) -> None:
    """packaging: mypy's ``python_version = "3.10"`` follows its ``else: import tomli`` branch, and
    its test group installs ``tomli; python_version<'3.11'``: on 3.11 the type check failed with 2
    ``import-not-found`` on a clean release. Installed for the type check alone, without its marker;
    nothing when mypy checks this Python."""
    pyproject = (
        '[project]\nname = "pk"\n[dependency-groups]\n'
        'test = ["pytest", "tomli>=1; python_version<\'3.11\'", "old; python_version<\'3.8\'"]\n'
        '[tool.mypy]\npython_version = "3.10"\nfiles = ["src"]\n'
    )
    write(tmp_path, {"pyproject.toml": pyproject, "src/pk/__init__.py": "", "tests/t.py": ""})
    text, result = parsed(tmp_path)
    assert result.profile.environment is not None and "tomli>=1" not in result.profile.environment.packages
    type_check = result.profile.environments["type-check"]
    assert "tomli>=1" in type_check.packages and not any(p.startswith("old") for p in type_check.packages)
    said = "mypy checks Python 3.10 (pyproject.toml [tool.mypy] python_version), where pyproject.toml "
    assert said + "dependency group 'test' installs it" in text
    write(tmp_path, {"pyproject.toml": pyproject.replace('python_version = "3.10"\n', "")})
    assert "type-check" not in parsed(tmp_path)[1].profile.environments
    write(tmp_path, {"pyproject.toml": "[project]\nname='pk'\n", "mypy.ini": "[mypy]\npython_version=3.9\n"})
    assert detect(tmp_path).mypy_python == ("3.9", "mypy.ini [mypy]")


def test_what_another_python_installs_for_the_type_check_comes_at_the_lock_files_version(
    tmp_path: Path,
) -> None:
    """flask: mypy checks Python 3.9, where its tests group installs ``greenlet``; its uv.lock holds
    3.2.4, and the latest (3.5.6) was installed for the type check."""
    pyproject = (
        '[project]\nname = "fl"\n[dependency-groups]\n'
        'tests = ["pytest", "greenlet ; python_version < \'3.11\'"]\n'
        '[tool.mypy]\npython_version = "3.9"\nfiles = ["src"]\n'
    )
    lock = 'version = 1\n[[package]]\nname = "greenlet"\nversion = "3.2.4"\n'
    write(
        tmp_path, {"pyproject.toml": pyproject, "uv.lock": lock, "src/fl/__init__.py": "", "tests/t.py": ""}
    )
    text, result = parsed(tmp_path)
    assert "greenlet==3.2.4" in result.profile.environments["type-check"].packages
    assert "installs it; uv.lock: 3.2.4" in text
