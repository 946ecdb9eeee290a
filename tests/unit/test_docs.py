"""The documentation: generated reference pages are current, hand-written pages name only settings
and commands that exist, and the mkdocs site builds without a warning (pages, nav, links, anchors).
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import typer.main

from prp_tasks.cli import app

ROOT = Path(__file__).resolve().parents[2]
GENERATOR = ROOT / "tools" / "gen_reference.py"
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
#: variables the docs may name that are no settings: they configure the test suite
TEST_VARIABLES = {"PRP_TEST_REDIS_SERVER", "PRP_RELIABILITY_SEED"}
REGENERATE = "run `python tools/gen_reference.py` and commit the result"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_reference", GENERATOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def generator() -> ModuleType:
    return load_generator()


@pytest.fixture(scope="module")
def pages(generator: ModuleType) -> dict[str, str]:
    rendered: dict[str, str] = generator.render_pages()
    return rendered


def test_every_generated_page_is_current(generator: ModuleType, pages: dict[str, str]) -> None:
    stale = generator.stale_pages(pages)
    names = ", ".join(f"docs/reference/{name}" for name in stale)
    assert not stale, f"generated reference pages are stale ({names}): {REGENERATE}"


def test_generation_depends_on_the_code_only(
    generator: ModuleType, pages: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRP_API__PORT", "9999")
    monkeypatch.setenv("PRP_SPOOL_MAX_CONCURRENCY", "7")
    monkeypatch.setenv("COLUMNS", "40")
    assert generator.render_pages() == pages
    assert os.environ["PRP_API__PORT"] == "9999"  # the environment is given back


def test_every_generated_page_is_in_the_site(pages: dict[str, str]) -> None:
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    for name in pages:
        assert f"reference/{name}" in nav, f"mkdocs.yml: reference/{name} is not in the nav"


def test_the_check_mode_reports_a_stale_page(
    generator: ModuleType, pages: dict[str, str], tmp_path: Path
) -> None:
    for name, text in pages.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    assert generator.stale_pages(pages, tmp_path) == []
    (tmp_path / "cli.md").write_text(pages["cli.md"] + "edited by hand\n", encoding="utf-8")
    (tmp_path / "redis-keys.md").unlink()
    assert generator.stale_pages(pages, tmp_path) == ["cli.md", "redis-keys.md"]


def setting_problem(name: str, settings: set[str]) -> str | None:
    """Why ``name`` is not a setting; a prefix (``PRP_QUEUES__`` of ``PRP_QUEUES__<CLASS>__…``) is fine."""
    if name in settings or name in TEST_VARIABLES:
        return None
    if name.endswith("_") and any(s.startswith(name) for s in settings):
        return None
    return f"{name} is no setting"


def test_the_docs_name_only_settings_that_exist(generator: ModuleType) -> None:
    settings = set(generator.setting_variables())
    problems = []
    for path in DOCS:
        for name in sorted(set(re.findall(r"\bPRP_[A-Z0-9_]*", path.read_text(encoding="utf-8")))):
            problem = setting_problem(name, settings)
            if problem:
                problems.append(f"{path.relative_to(ROOT)}: {problem}")
    assert not problems


def doc_commands(text: str) -> Iterator[str]:
    """``prp …`` commands in the fenced code blocks and inline code of a markdown text."""
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.S):
        for line in block.splitlines():
            line = line.strip().removeprefix("$ ").removeprefix(".venv/bin/")
            if line.startswith("prp "):
                yield line.split("#")[0]
    yield from re.findall(r"`(prp [^`]+)`", text)


def command_problem(command: str, root: Any) -> str | None:
    """Why ``command`` names no ``prp`` subcommand (None when it does, or gives options only)."""
    words = [w for w in command.split()[1:] if re.fullmatch(r"[a-z][a-z-]*", w)]
    node = root
    for word in words:
        commands = getattr(node, "commands", None)
        if commands is None:
            break
        if word not in commands:
            return f"`{command}`: {node.name or 'prp'} has no subcommand {word!r}"
        node = commands[word]
    return None


def test_the_docs_name_only_commands_that_exist() -> None:
    root = typer.main.get_command(app)
    problems = []
    for path in DOCS:
        for command in doc_commands(path.read_text(encoding="utf-8")):
            problem = command_problem(command, root)
            if problem:
                problems.append(f"{path.relative_to(ROOT)}: {problem}")
    assert not problems


def test_the_site_builds_without_warnings(tmp_path: Path) -> None:
    if importlib.util.find_spec("mkdocs") is None:
        pytest.skip("mkdocs is not installed: install the dev extra (pip install -e '.[dev]')")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(ROOT / "mkdocs.yml")]
    result = subprocess.run(
        [*command, "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"`mkdocs build --strict` failed:\n{output}"
    assert not re.search(r"^WARNING\b", output, flags=re.M), output
