"""What ``prp init``'s type check names for mypy when the files its config lists are not all in
the checkout (``prp_tasks.intake.init.typecheck``): those lacking left out, globs expanded, a
package that moved found where it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.test_init import parsed, write


@pytest.mark.parametrize(
    ("config", "text"),
    [("setup.cfg", "[metadata]\nname = colorlog\n[mypy]\nfiles = colorlog,doc\n"),
     ("pyproject.toml", '[project]\nname = "colorlog"\n[tool.mypy]\nfiles = ["colorlog", "doc"]\n')],
    ids=["setup.cfg", "pyproject"],
)  # fmt: skip
def test_mypys_config_files_the_checkout_lacks_are_left_out(tmp_path: Path, config: str, text: str) -> None:
    """colorlog's sdist: ``[mypy] files = colorlog,doc`` and no ``doc/``: mypy stopped on "doc: Cannot
    read file" and checked nothing, the failure blamed on an unpinned mypy."""
    write(tmp_path, {config: text, "colorlog/__init__.py": ""})
    said, result = parsed(tmp_path)
    assert result.profile.governance.commands["type-check"][-1] == "colorlog"
    assert "checks colorlog: its config's files less doc, which this checkout lacks" in said
    write(tmp_path, {"doc/conf.py": ""})  # all there: the config says what to check
    assert parsed(tmp_path)[1].profile.governance.commands["type-check"][-1] == ".prp/reports/mypy.xml"


def test_mypys_config_globs_are_expanded_and_a_package_that_moved_is_found(tmp_path: Path) -> None:
    """pybtex 0.26.1: ``files = pybtex/**/*.py,tests/*.py,setup.py``, its code moved to
    ``src/pybtex`` and no setup.py: the globs went to mypy's command line as they were ("Cannot
    read file": mypy expands its config's globs, not its arguments) and its code was never checked."""
    ini = "[mypy]\nfiles = pybtex/**/*.py,tests/*.py,setup.py\n"
    files = {"mypy.ini": ini, "pyproject.toml": '[project]\nname = "pybtex"\n', "src/pybtex/__init__.py": ""}
    write(tmp_path, files | {"tests/a_test.py": "", "tests/b_test.py": ""})
    said, result = parsed(tmp_path)
    argv = result.profile.governance.commands["type-check"]
    assert argv[-3:] == ("src/pybtex", "tests/a_test.py", "tests/b_test.py")
    assert (
        "checks pybtex/**/*.py as src/pybtex (the package's folder here), tests/*.py: its config's " in said
    )
    assert "files less setup.py, which this checkout lacks" in said
    write(tmp_path, {"mypy.ini": "[mypy]\nfiles = src/**/*.py,doc\n"})  # a whole folder's files: the folder
    assert parsed(tmp_path)[1].profile.governance.commands["type-check"][-1] == "src"


def test_a_package_that_moved_alone_is_said_and_odd_entries_do_not_break_the_listing(tmp_path: Path) -> None:
    """Nothing lacking but a folder that moved: the checks are said without an empty "less"; an
    absolute or parent path among the files is looked at, not globbed (which would raise)."""
    ini = "[mypy]\nfiles = pkg/**/*.py, /abs/*.py, ../up/*.py\n"
    write(tmp_path, {"mypy.ini": ini, "setup.py": "", "src/pkg/__init__.py": ""})
    said, result = parsed(tmp_path)
    assert result.profile.governance.commands["type-check"][-1] == "src/pkg"
    assert "its config's files less /abs/*.py, ../up/*.py, which this checkout lacks" in said
    write(tmp_path, {"mypy.ini": "[mypy]\nfiles = pkg/**/*.py\n"})
    said, result = parsed(tmp_path)
    assert result.profile.governance.commands["type-check"][-1] == "src/pkg"
    assert "checks pkg/**/*.py as src/pkg (the package's folder here): its config's files, its globs" in said
    write(tmp_path, {"mypy.ini": "[mypy]\nfiles = **/*.py, setup.py, gone.py\n"})
    assert parsed(tmp_path)[1].profile.governance.commands["type-check"][-2:] == (".", "setup.py")


def test_a_stub_the_type_checks_requirement_file_pins_is_not_added_at_another_files_version(
    tmp_path: Path,
) -> None:
    """cachelib 0.13.0: its tox typing env installs requirements/typing.txt (types-pyopenssl
    23.0.0.2); its dev.txt pins 24.0.0 beside mypy, which was added too: "you require
    types-pyopenssl==23.0.0.2 and types-pyopenssl==24.0.0.20240130", the type check never ran."""
    typing = "mypy==1.9.0\ntypes-pyopenssl==23.0.0.2\ntypes-redis==4.6.0.20240311\n"
    files = {
        "setup.cfg": "[metadata]\nname = cachelib\n[mypy]\nfiles = src/cachelib\n",
        "src/cachelib/__init__.py": "",
        "tests/test_a.py": "",
        "tox.ini": "[testenv]\ndeps = -r requirements/tests.txt\ncommands = pytest\n"
        "[testenv:typing]\ndeps = -r requirements/typing.txt\ncommands = mypy\n",
        "requirements/tests.txt": "pytest==8.0.0\n",
        "requirements/typing.txt": typing,
        "requirements/dev.txt": f"pytest==8.0.0\n{typing.replace('23.0.0.2', '24.0.0.20240130')}",
    }
    write(tmp_path, files)
    environment = parsed(tmp_path)[1].profile.environments["type-check"]
    assert "requirements/typing.txt" in environment.requirements
    assert not [p for p in environment.packages if p.startswith(("types-pyopenssl", "types-redis"))]
    write(tmp_path, {"requirements/typing.txt": "mypy==1.9.0\n"})  # a stub only dev.txt names: added
    environment = parsed(tmp_path)[1].profile.environments["type-check"]
    assert "types-pyopenssl==24.0.0.20240130" in environment.packages


def test_a_later_mypy_command_with_other_options_is_not_merged_into_the_first(tmp_path: Path) -> None:
    """cloup 3.0.7's tox: ``mypy --strict cloup`` then ``mypy tests examples``; the check ran
    ``mypy --strict cloup tests examples`` (343 errors where the project's two commands report
    none) and its comment said "as the project runs it"."""
    tox = "[testenv:mypy]\ndeps = mypy\ncommands =\n  mypy --strict cloup\n  mypy tests examples\n"
    files = {"setup.cfg": "[metadata]\nname = cloup\n[mypy]\n", "tox.ini": tox, "cloup/__init__.py": ""}
    write(tmp_path, files | {"tests/test_a.py": "", "examples/a.py": ""})
    said, result = parsed(tmp_path)
    assert result.profile.governance.commands["type-check"][-2:] == ("--strict", "cloup")
    assert "not run here: tox.ini [testenv:mypy] type-checks tests, examples without the options" in said
    write(tmp_path, {"tox.ini": tox.replace("mypy tests", "mypy --strict tests")})  # the same options: one
    argv = parsed(tmp_path)[1].profile.governance.commands["type-check"]
    assert argv[-4:] == ("--strict", "cloup", "tests", "examples")
    write(
        tmp_path,
        {
            "tox.ini": tox.replace("mypy --strict cloup", "mypy cloup").replace(
                "mypy tests", "mypy --strict tests"
            )
        },
    )
    argv = parsed(tmp_path)[1].profile.governance.commands["type-check"]  # more options of its own: one
    assert argv[-3:] == ("cloup", "tests", "examples")


def test_the_projects_own_mypy_command_wins_over_the_packages_its_config_lists(tmp_path: Path) -> None:
    """progressbar2 4.5.0: ``[tool.mypy] packages = ['progressbar', 'tests']`` and its tox mypy env's
    ``mypy {toxinidir}/progressbar``; the check ran mypy on the config's packages, 85 errors where
    the project's command reports 6 (a command naming targets makes mypy leave the config's aside)."""
    pyproject = '[project]\nname = "progressbar2"\n[tool.mypy]\npackages = ["progressbar", "tests"]\n'
    tox = "[testenv:mypy]\ndeps = mypy\ncommands = mypy {toxinidir}/progressbar\n"
    files = {"pyproject.toml": pyproject, "progressbar/__init__.py": "", "tests/test_a.py": ""}
    write(tmp_path, files | {"tox.ini": tox})
    argv = parsed(tmp_path)[1].profile.governance.commands["type-check"]
    assert argv[-1] == "progressbar" and "tests" not in argv


@pytest.mark.parametrize(
    ("config", "text"),
    [("pyproject.toml", '[project]\nname = "aiostream"\n[tool.mypy]\npackages = ["aiostream", "examples"]\n'),
     ("mypy.ini", "[mypy]\npackages = aiostream, examples\n")],
    ids=["pyproject", "mypy.ini"],
)  # fmt: skip
def test_mypys_config_packages_the_checkout_lacks_are_left_out(
    tmp_path: Path, config: str, text: str
) -> None:
    """aiostream 0.6.4's sdist: ``packages = ["aiostream", "examples"]`` and no ``examples/``: mypy
    stopped on "Can't find package 'examples'", and nothing said why."""
    write(tmp_path, {config: text, "aiostream/__init__.py": ""})
    said, result = parsed(tmp_path)
    assert result.profile.governance.commands["type-check"][-2:] == ("-p", "aiostream")
    assert "checks aiostream: its config's packages less examples, which this checkout lacks" in said
    write(tmp_path, {"examples/__init__.py": ""})  # all there: the config says what to check
    assert parsed(tmp_path)[1].profile.governance.commands["type-check"][-1] == ".prp/reports/mypy.xml"


def test_what_a_dependency_group_for_the_type_check_alone_names_is_installed_for_it(tmp_path: Path) -> None:
    """cmd2 4.3.1's 'validate' group: ipython, mypy, ty and types-setuptools; ``mypy .`` follows
    cmd2.py's IPython imports: without ipython, 6 errors "Cannot find implementation or library
    stub for module named 'traitlets.config.loader'" where the project's run is clean. A group
    that names a test runner too is the tests' as well: only its stubs are the type check's."""
    pyproject = (
        '[project]\nname = "cmdx"\n[dependency-groups]\n'
        'validate = ["ipython>=8.23", "mypy>=2.3.1", "ty>=0.0.75", "types-setuptools>=80.8.0"]\n'
        'dev = ["mypy>=2.3.1", "pytest>=8", "pyte>=0.8.2", "types-pyyaml"]\n[tool.mypy]\nstrict = true\n'
    )
    write(tmp_path, {"pyproject.toml": pyproject, "cmdx/__init__.py": "", "tests/test_a.py": ""})
    packages = parsed(tmp_path)[1].profile.environments["type-check"].packages
    assert {"ipython>=8.23", "types-setuptools>=80.8.0", "types-pyyaml"} <= set(packages)
    assert not [p for p in packages if p.startswith(("ty>", "pyte>"))]
