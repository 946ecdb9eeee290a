"""What a project's setuptools files say about it: setup.cfg's ``[metadata]`` and ``[options]``,
setup.py's literals (its name, description, licence, authors, ``tests_require``), a PKG-INFO's
fields (an sdist's), and the extras only setup.py or PKG-INFO declare."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

from prp_tasks.environments.extra_requirements import declared_extra_lines, tests_require
from prp_tasks.environments.projectfiles import EnvironmentSetupError, setup_cfg_list
from prp_tasks.intake.init.declared import declared, pins
from prp_tasks.intake.init.facts import Facts
from prp_tasks.intake.init.sources import (
    module_literal,
    read_ini,
    read_text,
    requirement_lines,
    requirement_names,
)


def setup_files(facts: Facts) -> None:
    cfg, lic = read_ini(facts.repo / "setup.cfg"), ""
    if cfg.has_section("metadata") and not facts.name:
        facts.metadata_file = "setup.cfg [metadata]"
        facts.name = cfg.get("metadata", "name", fallback="")
        facts.description = cfg.get("metadata", "description", fallback="")
        lic = cfg.get("metadata", "license", fallback="").strip()
        facts.license = (lic, "setup.cfg [metadata] license") if lic else facts.license
        emails = [cfg.get("metadata", k, fallback="") for k in ("maintainer_email", "author_email")]
        facts.authors = addresses(emails)
        facts.authors_file = "setup.cfg [metadata]" if facts.authors else ""
    if cfg.has_section("options.entry_points") and "console_scripts" in cfg["options.entry_points"]:
        facts.scripts = True
    for extra, reqs in (
        cfg["options.extras_require"].items() if cfg.has_section("options.extras_require") else []
    ):
        reqs = "\n".join(setup_cfg_list(reqs))  # (stack_data's one line: ``pytest; typeguard; …``)
        facts.extras.append(extra)
        declared(facts, requirement_names(reqs), f"setup.cfg extra '{extra}'")
        pins(facts, reqs, f"setup.cfg extra '{extra}'")
    installs = setup_cfg_list(cfg.get("options", "install_requires", fallback=""))
    facts.dependencies |= requirement_names("\n".join(installs))
    setup_py = read_text(facts.repo / "setup.py")
    if setup_py and not facts.name:
        facts.name = _setup_py_name(facts, setup_py)
        found = re.search(r"\bsetup\s*\(", setup_py)
        if found:  # natsort: its setup.cfg [metadata] says all but the name
            cfg_said = facts.metadata_file == "setup.cfg [metadata]" and bool(facts.description or lic)
            facts.metadata_file = "setup.py, setup.cfg [metadata]" if cfg_said else "setup.py"
        if found and not facts.authors:  # six: author_email="benjamin@python.org"
            emails = _setup_py_values(facts.repo, setup_py, "_email")
            # responses: ``author="David Cramer"`` and no address; a name is an owner too
            names = _setup_py_values(facts.repo, setup_py, "")
            facts.authors = addresses(emails) or addresses(names)
            facts.authors_file = "setup.py"
    if setup_py and (facts.metadata_file or "").startswith("setup.py"):
        _setup_py_strings(facts, setup_py)
    _pkg_info(facts)
    _built_extras(facts)


def _setup_py_values(repo: Path, setup_py: str, suffix: str) -> list[str]:
    """setup.py's ``author{suffix}``/``maintainer{suffix}`` literals, or the literal a module's
    attribute holds (alive-progress' ``author_email=alive_progress.__email__``: "no authors")."""
    keys = rf"\b(?:maintainer|author){suffix}\s*=\s*"
    found = re.findall(keys + r"""["']([^"']+)["']""", setup_py)
    for module, attribute in re.findall(keys + r"([A-Za-z_][\w.]*)\.(\w+)\s*[,)\n]", setup_py):
        literal = module_literal(repo, module, attribute)
        found += [literal[0]] if literal else []
    return found


def _built_extras(facts: Facts) -> None:
    """The extras only a PKG-INFO or setup.py declares (responses' ``tests`` extra, flake8 among
    it: "no lint tool found", where the ones a static table declares were named)."""
    if facts.extras:
        return
    try:
        source, table = declared_extra_lines(facts.repo)
    except EnvironmentSetupError:  # a broken file is ignored here, as everywhere in prp init
        return
    for extra, lines in table.items() if source in ("PKG-INFO", "setup.py") else ():
        facts.extras.append(extra)
        declared(facts, requirement_names("\n".join(lines)), f"{source} extra '{extra}'")
        pins(facts, "\n".join(lines), f"{source} extra '{extra}'")  # parso's qa: flake8==5.0.4


def tests_required(facts: Facts) -> None:
    """setup.py's ``tests_require``: what its tests need (pyrsistent: hypothesis; its tests failed
    to collect, "0 tests … No module named 'hypothesis'", where they give 637 passed)."""
    found = "\n".join(tests_require(facts.repo))
    declared(facts, requirement_names(found), "setup.py tests_require")
    for dep, line in requirement_lines(found).items():
        facts.test_deps.setdefault(dep, (line, "setup.py tests_require"))


def _setup_py_name(facts: Facts, setup_py: str) -> str:
    """``name="six"``, or ``name=pkg.__title__`` read from the package (sortedcontainers)."""
    literal = re.search(r"""\bname\s*=\s*["']([^"']+)["']""", setup_py)
    if literal:
        return literal.group(1)
    attribute = re.search(r"\bname\s*=\s*([A-Za-z_]\w*)\.(__\w+__)", setup_py)
    if attribute is None:
        return ""
    package, name = attribute.groups()
    for init in (facts.repo / package / "__init__.py", facts.repo / "src" / package / "__init__.py"):
        found = re.search(rf"""^{name}\s*=\s*["']([^"']+)["']""", read_text(init), re.M)
        if found:
            return found.group(1)
    return ""


def _setup_py_strings(facts: Facts, setup_py: str) -> None:
    """``description=`` and ``license=`` of a setup.py when they are literal strings (jmespath:
    ``description='JSON Matching Expressions'``; simplejson: ``license="MIT OR AFL-2.1"``, which
    its LICENSE.txt text alone would make MIT)."""
    parsed = _literal_arguments(setup_py)
    for key in ("description", "license"):  # ``key='…'``, or ``'key': '…'`` (flit's generated setup.py)
        found = re.search(
            rf"""(?:\b{key}\s*=|(["']){key}\1\s*:)\s*(?P<q>["'])(?P<v>[^"'\n]+)(?P=q)""", setup_py
        )
        value = parsed[key] if parsed is not None and key in parsed else found["v"] if found else ""
        if value.strip() and key == "description" and not facts.description:
            facts.description = " ".join(value.split())
        elif value.strip() and key == "license" and facts.license is None:
            facts.license = (value.strip(), "setup.py license")


def _literal_arguments(setup_py: str) -> dict[str, str] | None:
    """The string values of setup.py's keyword arguments and dict entries, a concatenation of
    literals joined (appdirs: ``'A small Python module for determining appropriate ' +
    'platform-specific dirs, …'``, whose first half alone was its description); None when it does
    not parse (the first literal is read from the text then)."""
    try:
        tree = ast.parse(setup_py)
    except (SyntaxError, ValueError):
        return None
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        pairs: list[tuple[object, ast.expr]] = []
        if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "setup":
            pairs = [(k.arg, k.value) for k in node.keywords]
        elif isinstance(node, ast.Dict):  # (``**{…}``: a ``None`` key, no constant)
            pairs = [(getattr(k, "value", None), v) for k, v in zip(node.keys, node.values, strict=True)]
        for key, value in pairs:
            text = _joined_literal(value)
            if isinstance(key, str) and text is not None:
                found.setdefault(key, text)
    return found


def _joined_literal(node: ast.expr) -> str | None:
    """A string literal, or ``+`` of string literals, as its text; None for anything else."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _joined_literal(node.left), _joined_literal(node.right)
        return left + right if left is not None and right is not None else None
    return None


def _pkg_info(facts: Facts) -> None:
    """An sdist's ``PKG-INFO`` fills what the sources did not say (its ``Name``, ``Summary``,
    licence and authors: jsonpatch's setup.py names them through variables)."""
    text = read_text(facts.repo / "PKG-INFO").split("\n\n", 1)[0]
    fields = dict(re.findall(r"^([\w-]+): *(.*)$", text, re.M))
    if not facts.name and fields.get("Name", "").strip():
        facts.name = fields["Name"].strip()
    if not facts.description and fields.get("Summary", "UNKNOWN") != "UNKNOWN":
        facts.description = fields["Summary"].strip()
    people = addresses(fields.get(k, "") for k in ("Maintainer-email", "Author-email"))
    people = people or addresses(
        v for k in ("Maintainer", "Author") if (v := fields.get(k, "UNKNOWN")) != "UNKNOWN"
    )
    if not facts.authors and people:
        facts.authors, facts.authors_file = people, "PKG-INFO"
    if not facts.license_classifiers[0]:
        facts.license_classifiers = (re.findall(r"^Classifier: *(.*)$", text, re.M), "PKG-INFO classifiers")
    lic = fields.get("License-Expression") or fields.get("License", "")
    if facts.license is None and lic != "UNKNOWN" and re.fullmatch(r"[\w.+\- ()]{2,60}", lic.strip()):
        facts.license = (lic.strip(), "PKG-INFO")


def addresses(values: Iterable[str]) -> list[str]:
    """Each address of comma-separated ``author_email`` values (dpath's "caleb@…, andrew@…" was
    one owner), the address of a ``Name <address>``; each once."""
    parts = [part.strip() for value in values for part in value.split(",")]
    return list(dict.fromkeys(m[1] if (m := re.search(r"<([^>]+)>", p)) else p for p in parts if p))


def whole_summary(facts: Facts) -> None:
    """A summary cut mid-sentence, completed from the module docstring it was cut from: flit's
    dynamic ``description`` is the docstring's first line (ordered-set's "… remembers its order,
    so that every", PKG-INFO's Summary; the description read "… so that every.")."""
    said = facts.description
    if not said or said[-1] in ".!?)":
        return
    for package in facts.packages:
        path = facts.repo / package
        paragraph = " ".join(
            _docstring(path / "__init__.py" if path.is_dir() else path).split("\n\n")[0].split()
        )
        if re.match(r" [a-z]", paragraph[len(said) : len(said) + 2]) and paragraph.startswith(said):
            end = re.search(r"[.!?](?=\s|$)", paragraph[len(said) :])  # (the sentence goes on)
            facts.description = paragraph[: len(said) + end.end()] if end else paragraph
            return


def _docstring(path: Path) -> str:
    try:
        return ast.get_docstring(ast.parse(read_text(path))) or ""
    except (SyntaxError, ValueError):
        return ""
