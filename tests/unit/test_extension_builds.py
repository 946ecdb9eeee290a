"""What a failed in-place build of a project's extensions says, and what it does to a test run
that passed without them (:mod:`prp_tasks.environments.extensions`, ``checks.command``)."""

from __future__ import annotations

from prp_tasks.checks.base import Outcome
from prp_tasks.checks.command import _uncompiled
from prp_tasks.core.models import CheckStatus
from prp_tasks.core.results import EvidenceType
from prp_tasks.environments.extensions import compile_error, note

LOG = (
    "gcc -Wsign-compare -DNDEBUG -c ./src/ujson/encode.c -o build/temp/encode.o\n"
    "./src/ujson/encode.c:70:21: error: expected expression before ‘;’ token\n"
    "   70 | static int broken = ;\n"
    "error: Command '['gcc', …]' returned non-zero exit status 1.\n"
)


def test_a_failed_build_names_the_compilers_first_error() -> None:
    """bitarray: a C syntax error read only as "No module named 'bitarray._bitarray'"; the note
    said "exited, exit 1" and nothing of the compiler's error, which the build's log held."""
    assert compile_error(LOG) == "src/ujson/encode.c:70: expected expression before ‘;’ token"
    done = {"built": False, "ended": "exited", "exit_code": 1, "log_tail": LOG}
    assert note(done) == (
        "extensions: not built in place (exited, exit 1: src/ujson/encode.c:70: expected expression "
        "before ‘;’ token; see the evidence's log tail): their tests may skip or fail"
    )
    # a header the machine lacks is no error of the code's
    assert compile_error("x.c:1:10: fatal error: Python.h: No such file or directory\n") == ""


def test_a_passing_test_run_whose_extensions_did_not_compile_says_so() -> None:
    """ujson 6.1.0 with ``static int broken = ;`` in encode.c: its 476 tests passed on the copy the
    environment had installed from an earlier run's checkout, and the run was "ready-for-release"."""
    environment = {"extensions": {"built": False, "log_tail": LOG}}
    passed = Outcome(CheckStatus.PASS, "exit 0 in 4.1s\n476 tests: 476 passed", EvidenceType.TEST)
    assert _uncompiled(passed, environment) == (
        "the project's extensions do not compile in this checkout (src/ujson/encode.c:70: expected "
        "expression before ‘;’ token): the tests' pass is not of its compiled code"
    )
    linted = Outcome(CheckStatus.PASS, "exit 0\nno ruff violations", EvidenceType.COMMAND)
    assert _uncompiled(linted, environment) == ""  # (not a test run)
    no_compiler = {"extensions": {"built": False, "error": "cannot start python", "log_tail": ""}}
    assert _uncompiled(passed, no_compiler) == ""
    assert _uncompiled(passed, {"extensions": {"built": True, "log_tail": LOG}}) == ""


def test_a_failing_test_run_whose_extensions_did_not_compile_names_the_compilers_error_first() -> None:
    """xxhash with a C syntax error: "0 tests … 12 errors; failing: … (ModuleNotFoundError: No
    module named 'xxhash._xxhash' …)" on the terminal and in ``prp status``; the compiler's error
    only on the reports' third line, the environment's note."""
    environment = {"extensions": {"built": False, "log_tail": LOG}}
    output = "exit 2 in 0.6s\n0 tests: 0 passed, 0 failed, 12 errors (12 in collection), 0 skipped"
    failed = Outcome(CheckStatus.FAIL, output, EvidenceType.TEST)
    assert _uncompiled(failed, environment) == (
        "the project's extensions do not compile in this checkout (src/ujson/encode.c:70: expected "
        "expression before ‘;’ token): its tests did not run this checkout's compiled code"
    )
    stopped = Outcome(CheckStatus.SKIP, "stopped: run cancelled", EvidenceType.TEST)
    assert _uncompiled(stopped, environment) == ""


CYTHON_LOG = """Compiling cytoolz/dicttoolz.pyx because it changed.

Error compiling Cython file:
------------------------------------------------------------
...
    cdef int broken = "not an int"
                      ^
------------------------------------------------------------

cytoolz/dicttoolz.pyx:184:22: Only single-character string literals can be coerced into ints.
Traceback (most recent call last):
  File "/w/setup.py", line 97, in <module>
Cython.Compiler.Errors.CompileError: cytoolz/dicttoolz.pyx
"""


def test_a_cython_error_is_the_compilers_first_error() -> None:
    """cytoolz with a type error in dicttoolz.pyx: its tests failed on "No module named
    'cytoolz.itertoolz'" (its package's first import), and nothing named the .pyx file."""
    assert compile_error(CYTHON_LOG) == (
        "cytoolz/dicttoolz.pyx:184: Only single-character string literals can be coerced into ints."
    )
    warned = "warning: cytoolz/utils.pyx:10:4: Unused entry 'x'\nbuilt\n"
    assert compile_error(warned) == ""  # (a warning, no block: nothing failed)


def test_a_build_that_made_no_module_says_the_compilers_fatal_error() -> None:
    """frozendict 2.4.6 on Python 3.11: its sdist has C sources up to 3.10; the build exits 0 over
    "cc1: fatal error: …: No such file or directory", and the note said only "the build ran in
    1.0s and made no module", nothing of why its C implementation was never tested."""

    log = (
        "building 'frozendict._frozendict' extension\n"
        "gcc -c src/frozendict/c_src/3_11/frozendictobject.c -o build/temp/frozendictobject.o\n"
        "cc1: fatal error: src/frozendict/c_src/3_11/frozendictobject.c: No such file or directory\n"
        "compilation terminated.\n"
        'WARNING: building extension "frozendict._frozendict" failed\n'
    )
    done = {"built": True, "built_by_this_check": True, "duration_ms": 1000, "modules": [], "log_tail": log}
    assert note(done) == (
        "extensions: the build ran in 1.0s and made no module (cc1: fatal error: "
        "src/frozendict/c_src/3_11/frozendictobject.c: No such file or directory): the checks run the "
        "pure-Python code"
    )
