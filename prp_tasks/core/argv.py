"""A command line as Python runs it: ``python OPTIONS -m MODULE …``, the interpreter's options apart.

A project's own test command may pass the interpreter options that change what its tests report
(aiosignal's tox: ``python -bb -E -s -I -Werror -W 'ignore:…' -m pytest``: a ``b"x" != "x"`` in a
test fails there and passes without them). Whoever reads such a command for its tool (the
evidence's readers, the version said, the coverage report written after ``coverage run``) reads
it without them; :func:`telling_options` are those a test command keeps.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence

#: an interpreter: ``python``, ``python3.12``, ``pypy3``
_PYTHON = re.compile(r"(python|pypy)[\d.]*")
#: interpreter options without a value (``-I``, ``-bb``, ``-Es``) and ``-W``/``-X`` with theirs
_FLAGS = re.compile(r"-[bBdEiIOqsSuvR]+|-[WX]\S+")
#: ``-W``/``-X`` whose value is the next word
_VALUED = ("-W", "-X")
#: flags and ``-m`` in one word: ``-Im``
_FLAGS_AND_MODULE = re.compile(r"-([bBdEiIOqsSuvR]*)m")
#: the ``-X`` options that change what a run reports (warnings, the default encoding)
_TELLING_X = ("dev", "warn_default_encoding", "utf8", "utf8=1")


def python_options(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """(the interpreter's options, the command without them) of ``python OPTIONS -m MODULE …``:
    ``(["-bb", "-W", "error"], ["python", "-m", "pytest", "-q"])``; ``([], argv)`` for any other
    command (a script, a tool's own executable, no ``-m``)."""
    words = list(argv)
    if len(words) < 3 or not _PYTHON.fullmatch(os.path.basename(words[0]).lower()):
        return [], words
    index = 1
    while index < len(words) and (_FLAGS.fullmatch(words[index]) or words[index] in _VALUED):
        index += 2 if words[index] in _VALUED else 1
    joined = _FLAGS_AND_MODULE.fullmatch(words[index]) if index < len(words) else None
    if joined is None or index + 1 >= len(words):
        return [], words
    options = words[1:index] + ([f"-{joined[1]}"] if joined[1] else [])
    return options, [words[0], "-m", *words[index + 1 :]]


def telling_options(options: Sequence[str]) -> list[str]:
    """Of the interpreter's options, those that change what a run reports: ``-b``/``-bb`` (bytes
    compared with str warn, or raise), ``-W`` filters (``-Werror``), ``-X dev`` and the encoding
    ones; not isolation (``-I``, ``-E``, ``-s``: the check's environment is built for it) or ``-O``
    (which strips the asserts tests are made of)."""
    kept: list[str] = []
    words = iter(options)
    for word in words:
        if word in _VALUED:
            value = next(words, "")
            if word == "-W" or value in _TELLING_X:
                kept += [word, value]
        elif word.startswith("-W") or (word.startswith("-X") and word[2:] in _TELLING_X):
            kept.append(word)
        elif word.count("b") and not word.startswith(("-W", "-X")):
            kept.append("-" + "b" * min(2, word.count("b")))
    return kept
