"""``prp init``'s packages and layout: the top-level packages setuptools is told to ship, not the
benchmarks, docs or examples beside them; and the metadata's names."""

from __future__ import annotations

from pathlib import Path

from prp_tasks.environments.layout import import_root, package_dir
from prp_tasks.intake.init.detect import detect
from tests.unit.test_init import parsed, write


def test_only_the_packages_setuptools_is_told_to_ship_are_the_projects(tmp_path: Path) -> None:
    """Markdown: ``packages = ['markdown', 'markdown.extensions']`` in ``[tool.setuptools]``; its
    ``tools/`` (an ``__init__.py`` and a formatter its mkdocs site uses) was a boundary and part of
    the layout G1 checks. setup.cfg's list too; ``find:`` finds them itself."""
    files = {
        "pyproject.toml": "[project]\nname = 'markdown'\n[tool.setuptools]\n"
        "packages = ['markdown', 'markdown.extensions']\n",
        "markdown/__init__.py": "",
        "markdown/extensions/__init__.py": "",
        "tools/__init__.py": "",
    }
    write(tmp_path, files)
    assert parsed(tmp_path)[1].profile.architecture.boundaries == ("markdown",)
    cfg = tmp_path / "cfg"
    write(
        cfg,
        {
            "setup.cfg": "[options]\npackages =\n    a\n    a.b\n",
            "a/__init__.py": "",
            "tools/__init__.py": "",
        },
    )
    assert parsed(cfg)[1].profile.architecture.boundaries == ("a",)
    write(cfg, {"setup.cfg": "[options]\npackages = find:\n"})
    assert parsed(cfg)[1].profile.architecture.boundaries == ("a", "tools")


def test_the_modules_setuptools_is_told_to_ship_are_the_projects_too(tmp_path: Path) -> None:
    """peewee: ``py-modules = ["peewee", "pwiz"]`` beside its package ``playhouse``; the ORM itself,
    peewee.py, was neither a boundary nor part of the layout G1 checks. setup.cfg's and setup.py's
    lists too; a listed module the checkout lacks is left out."""
    files = {
        "pyproject.toml": "[project]\nname = 'peewee'\n[tool.setuptools]\n"
        "py-modules = ['peewee', 'pwiz', 'gone']\n",
        "peewee.py": "",
        "pwiz.py": "",
        "playhouse/__init__.py": "",
        "runtests.py": "",
    }
    write(tmp_path, files)
    architecture = parsed(tmp_path)[1].profile.architecture
    assert architecture.boundaries == ("peewee", "playhouse", "pwiz")
    assert {"peewee.py", "pwiz.py", "playhouse"} <= set(architecture.layout)
    write(tmp_path, {"pyproject.toml": "[project]\nname = 'peewee'\n"})
    setup_py = "from setuptools import setup\nsetup(\n    py_modules=['peewee', 'pwiz'],\n)\n"
    write(tmp_path, {"setup.py": setup_py})
    assert parsed(tmp_path)[1].profile.architecture.boundaries == ("peewee", "playhouse", "pwiz")
    (tmp_path / "setup.py").unlink()
    write(tmp_path, {"setup.cfg": "[options]\npy_modules =\n    peewee\n"})
    assert parsed(tmp_path)[1].profile.architecture.boundaries == ("peewee", "playhouse")


def test_benchmarks_and_examples_beside_the_code_are_not_its_packages(tmp_path: Path) -> None:
    """cattrs' src layout has a top-level ``bench/`` package (its benchmarks): mypy checked it,
    which the project never does; pyparsing's ``examples/`` was a boundary of its architecture."""
    write(
        tmp_path,
        {
            "pyproject.toml": '[project]\nname = "pkg"\n[tool.mypy]\nstrict = true\n',
            "src/pkg/__init__.py": "",
            "bench/__init__.py": "",
            "tests/test_pkg.py": "def test_a():\n    pass\n",
        },
    )
    _, result = parsed(tmp_path)
    assert result.profile.architecture.boundaries == ("pkg",)
    assert "bench" not in result.profile.governance.commands["type-check"]
    flat = tmp_path / "flat"
    write(flat, {"setup.py": "", "pkg/__init__.py": "", "examples/__init__.py": "", "docs/__init__.py": ""})
    assert parsed(flat)[1].profile.architecture.boundaries == ("pkg",)
    only = tmp_path / "only"  # a project whose code is its examples keeps them
    write(only, {"setup.py": "", "examples/__init__.py": ""})
    assert parsed(only)[1].profile.architecture.boundaries == ("examples",)


def test_metadata_from_setup_cfg_with_the_name_in_setup_py_names_both(tmp_path: Path) -> None:
    """natsort: setup.cfg [metadata] has the description and licence, setup.py only the name; the
    file said "Written by prp init from setup.py"."""
    write(
        tmp_path,
        {
            "setup.cfg": "[metadata]\ndescription = Simple yet flexible natural sorting\nlicense = MIT\n",
            "setup.py": 'from setuptools import setup\nsetup(name="natsort")\n',
            "natsort/__init__.py": "",
        },
    )
    text, result = parsed(tmp_path)
    assert "Written by `prp init` from setup.py, setup.cfg [metadata]." in text
    assert result.profile.architecture.layout[-1] == "setup.py"
    only_name = tmp_path / "six"  # a [metadata] that states nothing of this: setup.py alone
    files = {"setup.cfg": "[metadata]\nlicense_files = LICENSE\n", "setup.py": 'setup(name="six")\n'}
    write(only_name, files)
    assert "Written by `prp init` from setup.py." in parsed(only_name)[0]


def test_a_project_of_compiled_code_only_has_its_folder_as_boundary_and_no_targetless_mypy(
    tmp_path: Path,
) -> None:
    """ujson 6.1.0: ``src/ujson`` holds C sources, no Python package; prp init wrote
    ``boundaries: []`` (its pristine release failed G1) and ``mypy`` with no target ("checks : the
    package"), which stops on "Missing target module"."""
    pyproject = '[project]\nname = "ujson"\n[project.optional-dependencies]\ndev = ["mypy", "pytest"]\n'
    write(tmp_path, {"pyproject.toml": pyproject, "src/ujson/ujson.c": "", "tests/test_ujson.py": ""})
    text, result = parsed(tmp_path)
    assert result.profile.architecture.boundaries == ("ujson",)
    assert "src/ujson" in result.profile.architecture.layout
    assert "type-check" not in result.profile.governance.commands
    assert "mypy (pyproject.toml extra 'dev') has no Python package or module of the project to check" in text


def test_a_folder_of_a_compiled_packages_stubs_is_its_boundary(tmp_path: Path) -> None:
    """ciso8601 2.4.1: C sources at the top, ``ciso8601/`` holding only ``__init__.pyi`` and
    ``py.typed``: "boundaries: []" failed G1, and its tests and lint never ran (one minor finding)."""
    files = {"setup.py": 'setup(name="ciso8601", packages=["ciso8601"])\n', "module.c": ""}
    write(tmp_path, files | {"ciso8601/__init__.pyi": "", "ciso8601/py.typed": "", "tests/tests.py": ""})
    text, result = parsed(tmp_path)
    assert result.profile.architecture.boundaries == ("ciso8601",)
    assert 'boundaries: ["ciso8601"]  # detected: the folder of its compiled package' in text


def test_an_empty_tests_folder_is_not_in_the_layout(tmp_path: Path) -> None:
    """cachecontrol's sdist has an empty ``tests/``; git keeps no empty folder, so the run's
    workspace had none and G1 failed on "layout entry 'tests' does not exist"."""
    write(tmp_path, {"pyproject.toml": '[project]\nname = "pkg"\n', "pkg/__init__.py": ""})
    (tmp_path / "tests").mkdir()
    facts = detect(tmp_path)
    assert facts.tests_dir is None
    assert '"tests"' not in next(line for line in parsed(tmp_path)[0].splitlines() if "layout:" in line)
    write(tmp_path, {"tests/test_a.py": "def test_a():\n    pass\n"})
    assert detect(tmp_path).tests_dir == "tests"


def test_the_code_in_the_folder_package_dir_names_is_the_projects(tmp_path: Path) -> None:
    """markdown2's setup.py ``package_dir={"": "lib"}`` and ``lib/markdown2.py``: no boundary was
    found, G1 failed on "architecture.boundaries is empty" and every later gate was skipped."""
    write(
        tmp_path,
        {
            "setup.py": 'import setuptools\nsetuptools.setup(py_modules=["md"], package_dir={"": "lib"})\n',
            "lib/md.py": "def main():\n    pass\n",
            "tools/which.py": "",
        },
    )
    assert detect(tmp_path).packages == ["lib/md.py"]
    text = parsed(tmp_path)[0]
    assert 'boundaries: ["md"]' in text and '"lib/md.py"' in text
    (tmp_path / "setup.py").write_text("from setuptools import setup\nsetup()\n")
    write(tmp_path, {"setup.cfg": "[options]\npackage_dir =\n    =python\n", "python/pkg/__init__.py": ""})
    assert detect(tmp_path).packages == ["python/pkg"]
    write(tmp_path, {"setup.cfg": "", "pyproject.toml": '[tool.setuptools.package-dir]\n"" = "python"\n'})
    assert detect(tmp_path).packages == ["python/pkg"]
    # cbor2: its package finder looks in python/ (its profile had no boundary and G1 failed)
    write(tmp_path, {"pyproject.toml": '[tool.setuptools.packages.find]\nwhere = ["python"]\n'})
    assert detect(tmp_path).packages == ["python/pkg"]
    cfg = "[options]\n[options.packages.find]\nwhere = python\n"
    write(tmp_path, {"pyproject.toml": "", "setup.cfg": cfg})
    assert detect(tmp_path).packages == ["python/pkg"]


def test_the_folder_setup_py_maps_a_named_package_into_is_the_projects(tmp_path: Path) -> None:
    """crcmod 1.7's setup.py maps its package to ``os.path.join(base_dir, 'crcmod')`` (python2/ or
    python3/, computed): its boundaries were empty (G1 failed) and its checks imported the copy of
    crcmod its environment had installed from an earlier run's files: a broken test passed."""
    setup = (
        "import sys, os\nbase_dir = 'python3' if sys.version_info[0] == 3 else 'python2'\n"
        "setup(name='crcmod', packages=['crcmod'], "
        "package_dir={'crcmod': os.path.join(base_dir, 'crcmod')})\n"
    )
    write(
        tmp_path,
        {
            "setup.py": setup,
            "python2/crcmod/__init__.py": "print 'python 2'\n",
            "python3/crcmod/__init__.py": "print('python 3')\n",
            "test/test_crcmod.py": "import crcmod\n",
        },
    )
    assert package_dir(tmp_path) == "python3"
    assert import_root(tmp_path) == tmp_path / "python3"
    assert detect(tmp_path).packages == ["python3/crcmod"]
    # one copy: its folder, whatever the Python; a literal mapping says the folder itself
    write(tmp_path, {"python2/crcmod/__init__.py": "print('two')\n"})
    assert package_dir(tmp_path) == ""  # two copies the running Python compiles: no telling which
    (tmp_path / "setup.py").write_text(
        "setup(packages=['crcmod'], package_dir={'crcmod': 'python2/crcmod'})\n"
    )
    assert package_dir(tmp_path) == "python2"
    (tmp_path / "setup.py").write_text("setup(packages=['crcmod'])\n")
    write(tmp_path, {"crcmod/__init__.py": ""})
    assert package_dir(tmp_path) == ""  # at the top, as setuptools finds it
