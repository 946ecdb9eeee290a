"""The project's licence as an SPDX id: the metadata's, else what its licence text reads as.

A name that is no SPDX expression (decorator's ``new BSD License``) gives way to the recognised
licence text; the text reads as the licence whose title comes first in it, not one it mentions
(a GPL-2.0 text names the "GNU Lesser General Public License" on its line 18).
"""

from __future__ import annotations

import re
from pathlib import Path

from prp_tasks.intake.init.facts import Facts
from prp_tasks.intake.init.sources import read_text


def licence_file(facts: Facts) -> None:
    """The licence text's SPDX id when the metadata names none, or a name that is no SPDX
    expression (decorator's ``new BSD License`` over its BSD-2-Clause text); else such a name
    without its ``License`` suffix (``BSD-2-Clause License`` -> ``BSD-2-Clause``)."""
    said = facts.license
    if said is not None and spdx_like(said[0]):
        return
    spelled = spdx_spelling(said[0]) if said is not None else ""
    if said is not None and spdx_like(spelled) and re.search(r" (OR|AND) ", spelled):
        facts.license = (spelled, f"{said[1]} {said[0]!r}")  # uritemplate's 'BSD 3-Clause OR Apache-2.0'
        return  # (several licences: no one text of them says it)
    files = _licence_files(facts)
    for path in files:
        text = read_text(path)[:6000]
        spdx = recognised_licences(text) or either_of(text, [f for f in files if f != path])
        if spdx:
            note = f"; {said[1]} says {said[0]!r}" if said else ""
            facts.license = (spdx, f"{path.relative_to(facts.repo)} (recognised text{note})")
            return
    bare = re.sub(r"\s+licen[cs]e$", "", said[0], flags=re.I) if said else ""
    if said and bare != said[0] and spdx_like(bare):
        facts.license = (bare, said[1])
    elif said and spdx_like(spelled):  # no text to read: the name's SPDX id (``Apache 2.0``)
        facts.license = (spelled, f"{said[1]} {said[0]!r}")
    elif said is None and (named := _classified(facts.license_classifiers[0])):
        facts.license = (named, facts.license_classifiers[1])


#: common spellings of SPDX ids in licence names (``BSD 3-Clause``, ``Apache 2.0``, ``MIT License``)
_SPELLINGS = (
    (re.compile(r"\bBSD[ -]?([23])[ -]Clause\b(?: License)?", re.I), r"BSD-\1-Clause"),
    (re.compile(r"\bApache(?: Software)?(?: License)?,?(?: Version)? 2(?:\.0)?\b", re.I), "Apache-2.0"),
    (re.compile(r"\bMIT License\b", re.I), "MIT"),
    (re.compile(r"\s+(or|and)\s+", re.I), lambda m: f" {m[1].upper()} "),
)


def spdx_spelling(name: str) -> str:
    """``name`` with common spellings of SPDX ids replaced (``BSD 3-Clause OR Apache 2.0`` ->
    ``BSD-3-Clause OR Apache-2.0``); used only when the whole then reads as an SPDX expression."""
    for pattern, replacement in _SPELLINGS:
        name = pattern.sub(replacement, name)
    return name.strip()


def either_of(text: str, others: list[Path]) -> str | None:
    """A licence file that leaves the choice to the licence files it names (uritemplate's and
    cryptography's LICENSE: "*either* of the licenses found in LICENSE.APACHE or LICENSE.BSD"):
    their licences joined with ``OR``."""
    if not re.search(r"\beither\b", text, re.I):
        return None
    named = [path for path in others if re.search(rf"\b{re.escape(path.name)}\b", text)]
    found = [recognised_licences(read_text(path)[:6000]) for path in named]
    if len(named) < 2 or None in found:
        return None
    return " OR ".join(dict.fromkeys(f"({f})" if " " in f else f for f in found if f))


def _licence_files(facts: Facts) -> list[Path]:
    """The file the metadata names, then ``LICENSE*``, ``COPYING*`` and ``*-LICENSE*``
    (ordered-set's ``MIT-LICENSE``) at the top of the repository."""
    repo = facts.repo
    named = [repo / facts.license_file] if facts.license_file and ".." not in facts.license_file else []
    patterns = ("LICEN[CS]E*", "COPYING*", "*-LICEN[CS]E*")
    found = [p for pattern in patterns for p in sorted(repo.glob(pattern))]
    return list(dict.fromkeys(p for p in [*named, *found] if p.is_file()))


#: ``License ::`` classifiers that name one licence
_CLASSIFIERS = {
    "MIT License": "MIT",
    "Apache Software License": "Apache-2.0",
    "ISC License (ISCL)": "ISC",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "The Unlicense (Unlicense)": "Unlicense",
    "Python Software Foundation License": "PSF-2.0",
}


def classified_licences(classifiers: list[str]) -> list[str]:
    """The licences the ``License ::`` classifiers name (``Public Domain``, ``BSD License``)."""
    return [c.rsplit("::", 1)[-1].strip() for c in classifiers if c.startswith("License ::")]


def _classified(classifiers: list[str]) -> str | None:
    """The licence the classifiers name, when they name exactly one this knows."""
    found = {_CLASSIFIERS.get(name) for name in classified_licences(classifiers)}
    return found.pop() if len(found) == 1 and None not in found else None


#: (the ids without a hyphen spelled out: ujson's "BSD-3-Clause AND TCL" had read as a prose name)
_SPDX_ID = re.compile(
    r"[()]*(?:MIT|ISC|Zlib|Unlicense|WTFPL|TCL|NCSA|PostgreSQL|HPND|0BSD|X11|JSON|Vim|curl|NTP"
    r"|Beerware|libpng|libtiff|[A-Za-z0-9.+]+-[A-Za-z0-9.+-]+)[()]*"
)


def spdx_like(name: str) -> bool:
    """Whether ``name`` reads as an SPDX expression (``MIT OR AFL-2.1``), not a prose name."""
    words = name.split()
    return bool(words) and all(w in ("OR", "AND", "WITH") or _SPDX_ID.fullmatch(w) for w in words)


_LICENSES = (
    (r"Apache License.{0,40}Version 2\.0", "Apache-2.0"),
    (r"MIT License|Permission is hereby granted, free of charge", "MIT"),
    (
        r"Redistribution and use in source and binary forms.*(?:Neither the name|be used to endorse)",
        "BSD-3-Clause",
    ),  # boltons: "The names of the contributors may not be used to endorse …"; xlrd: "None of the
    # names of … may be used to endorse or promote products derived … without … permission"
    (r"Redistribution and use in source and binary forms", "BSD-2-Clause"),
    (r"Mozilla Public License.{0,20}2\.0", "MPL-2.0"),
    (r"GNU LESSER GENERAL PUBLIC LICENSE.{0,80}Version 2\.1", "LGPL-2.1-or-later"),
    (r"GNU LIBRARY GENERAL PUBLIC LICENSE.{0,80}Version 2", "LGPL-2.0-or-later"),
    (r"GNU LESSER GENERAL PUBLIC LICENSE", "LGPL-3.0-or-later"),
    (r"GNU GENERAL PUBLIC LICENSE.{0,80}Version 3", "GPL-3.0-or-later"),
    (r"GNU GENERAL PUBLIC LICENSE.{0,80}Version 2", "GPL-2.0-or-later"),
    (r"ISC License", "ISC"),
    # no licence: a dedication to the public domain, which may then name the licences of some files
    # (docutils' COPYING.rst: "released under the GNU General Public License version 3" had read
    # as the project's GPL-3.0-or-later)
    (r"(?:placed|released|dedicated?)\s+(?:in|into|to)\s+the\s+public\s+domain", ""),
)


def recognised_licence(text: str) -> str | None:
    """The licence whose words come first in ``text``: its title, not a licence it mentions
    (Unidecode's GPL-2.0 text names the "GNU Lesser General Public License" on line 18: it had
    read as LGPL-3.0); at one place, the more specific (BSD-3-Clause before BSD-2-Clause)."""
    found = [
        (m.start(), index) for index, (p, _) in enumerate(_LICENSES) if (m := re.search(p, text, re.I | re.S))
    ]
    return (_LICENSES[min(found)[1]][1] or None) if found else None


#: a line that separates the licences of a file holding several (dateutil: Apache-2.0, then BSD-3-Clause)
_SEPARATOR = re.compile(r"\s*[-=_*]{20,}\s*")


def recognised_licences(text: str) -> str | None:
    """Each section's licence (sections split by a rule line), joined with ``AND``: a file that
    holds two licence texts is under both (dateutil's BSD-3-Clause "applies to all code, even that
    also covered by Apache 2.0")."""
    found = [spdx for part in _sections(text) if (spdx := recognised_licence(part))]
    return " AND ".join(dict.fromkeys(found)) or None


def _sections(text: str) -> list[str]:
    """``text`` split at its rule lines; a rule under a line of text underlines that line as a
    heading (MPL-2.0's ``Mozilla Public License Version 2.0`` over ``=====``: its second part,
    defining a "Secondary License" as the GNU GPL, had read as GPL-2.0-or-later)."""
    sections: list[list[str]] = [[]]
    previous = ""
    for line in text.splitlines():
        if _SEPARATOR.fullmatch(line) and not previous.strip():
            sections.append([])
        else:
            sections[-1].append(line)
        previous = line
    return ["\n".join(lines) for lines in sections]
