"""The commands a ``justfile`` runs, read without running ``just``: each recipe's lines with its
parameters' defaults and the file's ``name := "value"`` variables put in (cattrs' ``cov
*args="-x --ff -n auto tests"`` runs ``… coverage run -m pytest {{args}}``). A conditional
(``{{ if python != '' { … } else { '' } }}``) reads as nothing, as with its variables' defaults
(cattrs' ``python := ""``); a line with any other expression is left out."""

from __future__ import annotations

import re

JUSTFILES = ("justfile", "Justfile", ".justfile")

#: ``name := "value"`` (also ``export name := …``)
_VARIABLE = re.compile(r"""^(?:export\s+)?([A-Za-z_][\w-]*)\s*:=\s*("[^"]*"|'[^']*')\s*$""")
#: ``[@]name param *args="default" +more='x': dependencies``
_RECIPE = re.compile(
    r"^@?([A-Za-z_][\w-]*)((?:\s+[*+$]?[A-Za-z_][\w-]*(?:=(?:\"[^\"]*\"|'[^']*'|\S+))?)*)\s*:(?!=)"
)
_PARAMETER = re.compile(r"""[*+$]?([A-Za-z_][\w-]*)(?:=("[^"]*"|'[^']*'|\S+))?""")
_EXPRESSION = re.compile(r"\{\{(.*?)\}\}")


def just_commands(text: str) -> list[tuple[str, str]]:
    """(recipe, command line) for each line of each recipe, in the order written."""
    variables: dict[str, str] = {}
    out: list[tuple[str, str]] = []
    recipe, scope = "", dict[str, str]()
    for line in text.splitlines():
        if line[:1] in (" ", "\t"):
            body = line.strip().lstrip("@-").strip()
            if recipe and body and not body.startswith("#"):
                command = _expanded(body, scope)
                if command:
                    out.append((recipe, command))
            continue
        if found := _VARIABLE.match(line):
            variables[found[1]] = found[2][1:-1]
        elif found := _RECIPE.match(line):
            params = {m[1]: (m[2] or "")[1:-1] if (m[2] or "")[:1] in "\"'" else (m[2] or "")
                      for m in _PARAMETER.finditer(found[2])}  # fmt: skip
            recipe, scope = found[1], {**variables, **params}
        elif line.strip() and not line.startswith("#"):
            recipe = ""  # a setting or an alias: no recipe body follows
    return out


def _expanded(line: str, names: dict[str, str]) -> str | None:
    """The line with its ``{{ … }}`` put in; None when one cannot be said."""
    failed = False

    def value(match: re.Match[str]) -> str:
        nonlocal failed
        expression = match[1].strip()
        if expression.startswith("if "):
            return ""
        if expression in names:
            return names[expression]
        failed = True
        return ""

    expanded = _EXPRESSION.sub(value, line).strip()
    return None if failed or not expanded else expanded
