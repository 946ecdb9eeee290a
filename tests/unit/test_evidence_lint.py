"""Evidence of lint and type-check commands: ruff's and pylint's JSON, mypy's JUnit XML, flake8's
report, and the real ruff through :func:`prp_tasks.checks.execute` (the report readers' shared
fixtures and the test tools' evidence are in ``test_evidence.py``)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from prp_tasks.checks import execute
from prp_tasks.checks.base import CheckContext
from prp_tasks.checks.mypy_output import mypy_text_facts
from prp_tasks.core.builtin_workflow import builtin_workflow
from prp_tasks.core.models import CheckSpec, CheckStatus
from prp_tasks.core.profile import ResolvedProfile
from prp_tasks.core.run import Blueprint, RepoInfo, RunSpec
from tests.unit.test_evidence import MYPY_JUNIT, RUFF_JSON, fresh, summary


def test_ruff_json_names_count_and_first_violations_relative_to_the_workdir(tmp_path: Path) -> None:
    for item in RUFF_JSON:
        item["filename"] = str(tmp_path / str(item["filename"]).removeprefix("/w/"))
    fresh(tmp_path, "r/ruff.json", json.dumps(RUFF_JSON))
    argv = ["ruff", "check", "--output-format=json", "--output-file", "r/ruff.json", "src"]
    text, facts, _ = summary(tmp_path, argv, stderr="warning: `ruff` is deprecated\n")
    # a file it could not parse first (semver's syntax error: in none of the first five of 155)
    assert text.splitlines()[0].startswith(
        "3 ruff violations; first src/z.py:1:syntax-error, src/x.py:12:E501, src/y.py:3:F401"
    )
    assert facts["ruff"]["violations"] == 3
    flake8 = "a.py:1:1: F401 'os' imported but unused\nb.py:9:5: E999 SyntaxError: invalid syntax\n"
    fresh(tmp_path, "flake8.txt", flake8)
    argv = ["flake8", "--output-file=flake8.txt", "."]
    assert summary(tmp_path, argv)[1]["flake8"]["first"] == ["b.py:9:E999", "a.py:1:F401"]


def test_pylint_json_messages_become_a_count_and_the_first_ones(tmp_path: Path) -> None:
    """python-json-logger lints with pylint: its messages (pylint 4's json reporter) are counted."""
    messages = [
        {
            "type": "warning",
            "path": "src/pjl/a.py",
            "line": 3,
            "symbol": "bad-indentation",
            "message-id": "W0311",
        },
        {"type": "convention", "path": "src/pjl/a.py", "line": 1, "symbol": "missing-module-docstring"},
        {"type": "error", "path": "src/pjl/b.py", "line": 9, "symbol": "no-member", "message-id": "E1101"},
    ]
    fresh(tmp_path, ".prp/reports/pylint.json", json.dumps(messages))
    argv = ["python", "-m", "pylint", "--output-format=json:.prp/reports/pylint.json,text", "src/pjl"]
    text, facts, _ = summary(tmp_path, argv, stdout="Your code has been rated at 5.00/10\n")
    assert facts["pylint"]["violations"] == 3
    assert text.splitlines()[0] == (
        "3 pylint violations; first src/pjl/a.py:3:bad-indentation, src/pjl/a.py:1:missing-module-docstring, "
        "src/pjl/b.py:9:no-member"
    )
    fresh(tmp_path, ".prp/reports/pylint.json", "[]")
    assert summary(tmp_path, argv)[0].startswith("no pylint violations")
    # dacite: 74 messages on its .pylintrc (useless-option-value …), its code rated 10.00/10
    config = [
        {"path": ".pylintrc", "line": 1, "symbol": s} for s in ("unrecognized-option", "useless-option-value")
    ]
    fresh(tmp_path, ".prp/reports/pylint.json", json.dumps(config))
    text, facts, _ = summary(tmp_path, argv, stdout="Your code has been rated at 10.00/10\n")
    assert facts["pylint"]["violations"] == 0
    assert text.splitlines()[0] == (
        "no pylint violations; 2 messages on its configuration, first .pylintrc:1:unrecognized-option"
    )
    # with violations, said before their names, which a long line loses first (sortedcontainers'
    # stale .pylintrc: "48 pylint violations; first …; 67 …")
    code = [
        {"path": f"src/pjl/module_with_a_long_name_{i}.py", "line": i, "symbol": "x" * 40} for i in range(9)
    ]
    fresh(tmp_path, ".prp/reports/pylint.json", json.dumps(code + config))
    first = summary(tmp_path, argv)[0].splitlines()[0]
    assert first.startswith(
        "9 pylint violations; 2 messages on its configuration, first .pylintrc:1:unrecognized-option; first "
    ), first


def test_mypy_junit_messages_become_an_error_count_and_the_first_errors(tmp_path: Path) -> None:
    fresh(tmp_path, "m.xml", MYPY_JUNIT)
    text, facts, _ = summary(tmp_path, ["python3", "-m", "mypy", "--junit-xml", "m.xml", "src"])
    assert facts["mypy"]["errors"] == 2
    assert text.startswith("2 mypy errors; first src/pkg/__init__.py:3: [return-value] Incompatible return")


def test_an_empty_flake8_report_written_by_the_command_means_no_violations(tmp_path: Path) -> None:
    fresh(tmp_path, "f.txt", "")
    text, facts, _ = summary(tmp_path, ["python", "-m", "flake8", "--output-file=f.txt", "--tee", "src"])
    assert (text, facts["flake8"]["violations"]) == ("no flake8 violations", 0)
    fresh(tmp_path, "f.txt", "src/a.py:3:1: F401 'os' imported but unused\n")
    assert (
        summary(tmp_path, ["flake8", "--output-file", "f.txt"])[0]
        == "1 flake8 violation; first src/a.py:3:F401 ('os' imported but unused)"
    )  # its message, as ruff's (aiosignal's run had said only "first aiosignal/__init__.py:2:F401")
    concise = "src/a.py:3:8: F401 [*] `os` imported but unused\nFound 1 error.\n"
    assert summary(tmp_path, ["ruff", "check", "--output-format=concise"], concise)[0].startswith(
        "1 ruff violation; first src/a.py:3:F401 (`os` imported but unused)"
    )


def test_the_message_said_is_the_first_named_violations_own(tmp_path: Path) -> None:
    """desert: an unused import added beside older violations of other codes was named first
    (rarest code first), with the message of the output's first line, an older E501's:
    "first tests/test_make.py:102:E501 ('os' imported but unused), src/desert/_make.py:57:F401"."""
    report = (
        "tests/test_make.py:102:141: E501 line too long (146 > 140 characters)\n"
        "tests/test_make.py:103:141: E501 line too long (150 > 140 characters)\n"
        "src/desert/_make.py:57:1: F401 'os' imported but unused\n"
    )
    fresh(tmp_path, "f.txt", report)
    text = summary(tmp_path, ["flake8", "--output-file", "f.txt"])[0]
    first = "3 flake8 violations; first src/desert/_make.py:57:F401 ('os' imported but unused)"
    assert text.startswith(first)
    assert "line too long" not in text


def test_the_real_ruff_through_a_run_check(tmp_path: Path) -> None:
    (tmp_path / "x.py").write_text("import os\nimport sys\n")
    argv = (sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "--output-format=json")
    argv += ("--output-file=.prp/reports/ruff.json", "x.py")
    workflow = builtin_workflow()
    spec = RunSpec(
        run_id="run-ev",
        workflow=workflow,
        blueprint=Blueprint(title="t"),
        repo=RepoInfo(path=str(tmp_path), commit_sha="c0ffee"),
        profile=ResolvedProfile(),
        created_at="2026-03-01T10:00:00.000Z",
    )
    ctx = CheckContext(spec, workflow.gate("G3"), CheckSpec(name="run-lint", run=argv), 30, (), 4000)
    result, _ = execute(ctx)
    assert result.status == CheckStatus.FAIL
    assert result.output.splitlines()[1] == (  # the first one's message too (soupsieve: the code alone)
        "2 ruff violations; first x.py:1:F401 (`os` imported but unused), x.py:2:F401"
    )
    content = json.loads(result.evidence[0].content)
    assert content["facts"]["ruff"]["violations"] == 2
    assert {"stdout_tail", "stderr_tail"} <= set(content)


def test_a_mypy_that_could_not_check_is_not_reported_as_finding_no_errors(tmp_path: Path) -> None:
    """pyparsing: ``mypy mypy-ignore-cases`` from the wrong directory exits 2; its report says
    ``errors="1" failures="0"``, which read as 'no mypy errors'."""
    argv = [sys.executable, "-m", "mypy", "--junit-xml", "m.xml", "no-such-dir"]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 2 and 'errors="1"' in (tmp_path / "m.xml").read_text()
    text, facts, _ = summary(tmp_path, ["python", *argv[1:]], stdout=done.stdout, stderr=done.stderr)
    assert "no mypy errors" not in text and facts.get("mypy", {}).get("errors") != 0, text
    error_only = '<testsuite errors="1" failures="0" name="mypy" tests="1"><testcase classname="mypy" '
    fresh(
        tmp_path,
        "e.xml",
        error_only
        + 'name="m"><error message="crashed">mypy: can\'t read file</error></testcase></testsuite>',
    )
    text, facts, _ = summary(tmp_path, ["python", "-m", "mypy", "--junit-xml", "e.xml", "x"])
    assert "no mypy errors" not in text, text


def test_a_mypy_error_of_no_line_is_named_in_the_first_line(tmp_path: Path) -> None:
    """marshmallow's sdist leaves out the ``examples`` its mypy ``files`` names: the console said
    only "1 mypy error"; the cause was in review.json alone. Run for real, with the junit report."""
    (tmp_path / "setup.cfg").write_text("[mypy]\nfiles = examples\n")
    argv = [sys.executable, "-m", "mypy", "--junit-xml", "m.xml"]
    done = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert done.returncode == 2
    text, _, _ = summary(tmp_path, ["python", *argv[1:]], stdout=done.stdout, stderr=done.stderr)
    assert text.splitlines()[0].startswith("1 mypy error; first examples: Cannot read file"), text


def test_pyrights_errors_become_a_count_and_the_first_ones(tmp_path: Path) -> None:
    """validators' type check with pyright: "exit 1 in 4.93s; src/validators/hashes.py" (a file's
    header line of its report), and review.json pointed at the run manifest, not the line."""
    src = tmp_path / "src" / "validators" / "hashes.py"
    out = (
        f'{src}\n  {src}:146:5 - error: Function "_bad" is not accessed (reportUnusedFunction)\n'
        f'  {src}:148:12 - error: Type "Literal[\'x\']" is not assignable to return type "int"\n'
        '  \u00a0\u00a0"Literal[\'x\']" is not assignable to "int" (reportReturnType)\n'
        "2 errors, 0 warnings, 0 informations \n"
    )
    text, facts, _ = summary(tmp_path, ["python", "-m", "pyright", "."], out)
    assert facts["pyright"] == {
        "errors": 2,
        "first": [
            'src/validators/hashes.py:146: Function "_bad" is not accessed (reportUnusedFunction)',
            'src/validators/hashes.py:148: Type "Literal[\'x\']" is not assignable to return type "int"',
        ],
    }
    assert text.splitlines()[0].startswith("2 pyright errors; first src/validators/hashes.py:146: ")
    clean = summary(tmp_path, ["pyright"], "0 errors, 0 warnings, 0 informations \n")[0]
    assert clean.splitlines()[0] == "no pyright errors"


RETURN = "Return type does not match returned value"


def test_tys_errors_become_a_count_and_the_first_ones(tmp_path: Path) -> None:
    """untangle's ``ty check``: the failed check said only ty's first line, "error[invalid-explicit-
    return]: Return type does not match returned value", no place (review.json: the manifest)."""
    out = (
        f"error[invalid-explicit-return]: {RETURN}\n"
        "   --> src/untangle/__init__.py:217:12\n    |\n216 | def _bad_type() -> int:\n"
        "warning[unused-ignore-comment]: Unused blanket `type: ignore` directive\n"
        "  --> src/untangle/__init__.py:3:9\n"
        "error[unresolved-import]: Cannot resolve imported module `defusedxml`\n"
        " --> tests/test_a.py:1:8\nFound 3 diagnostics\n"
    )
    text, facts, _ = summary(tmp_path, ["ty", "check"], out)
    assert facts["ty"] == {
        "errors": 2,
        "first": [
            f"src/untangle/__init__.py:217: [invalid-explicit-return] {RETURN}",
            "tests/test_a.py:1: [unresolved-import] Cannot resolve imported module `defusedxml`",
        ],
    }
    assert text.splitlines()[0].startswith("2 ty errors; first src/untangle/__init__.py:217: [invalid-")
    concise = (
        "src/a.py:4:1: error[invalid-assignment] Object of type `str` is not assignable\nFound 1 diagnostic\n"
    )
    assert summary(tmp_path, ["ty", "check", "--output-format", "concise"], concise)[1]["ty"]["first"] == [
        "src/a.py:4: [invalid-assignment] Object of type `str` is not assignable"
    ]
    assert summary(tmp_path, ["ty", "check"], "All checks passed!\n")[0].splitlines()[0] == "no ty errors"


def test_the_violations_named_show_each_file_and_code_before_a_second_of_one(tmp_path: Path) -> None:
    """yamllint: an unused import added to ``yamllint/cli.py`` after seven older ISC004 in
    ``tests/test_cli.py``; the five named, in the summary and review.json, were all of those."""
    items = [
        {"code": "ISC004", "filename": str(tmp_path / "tests/test_cli.py"), "location": {"row": 384 + i}}
        for i in range(7)
    ]
    items += [
        {"code": "F401", "filename": str(tmp_path / "yamllint/cli.py"), "location": {"row": 3}},
        {"code": "I001", "filename": str(tmp_path / "yamllint/cli.py"), "location": {"row": 1}},
    ]
    fresh(tmp_path, "r/ruff.json", json.dumps(items))
    argv = ["ruff", "check", "--output-format=json", "--output-file", "r/ruff.json", "."]
    _, facts, _ = summary(tmp_path, argv)
    assert facts["ruff"]["first"] == [  # the rarest codes first, then the rest in the output's order
        "yamllint/cli.py:3:F401",
        "yamllint/cli.py:1:I001",
        "tests/test_cli.py:384:ISC004",
        "tests/test_cli.py:385:ISC004",
        "tests/test_cli.py:386:ISC004",
    ]
    assert facts["ruff"]["violations"] == 9


def test_the_violations_named_are_chosen_rarest_code_first(tmp_path: Path) -> None:
    """pyotp 2.9.0 under ruff 0.17.6: 39 violations of 14 codes in the release, an unused import
    added to ``hotp.py``; the five named were older ones of the first two files (SIM115, UP035,
    RUF100, UP006, UP032), the new F401 in none of the summary, review.json or prp.md."""

    def violations(name: str, code: str, many: int) -> list[dict[str, object]]:
        path = str(tmp_path / name)
        return [
            {"code": code, "filename": path, "location": {"row": 10 + i}, "message": code}
            for i in range(many)
        ]

    items = violations("setup.py", "SIM115", 1)
    for code, many in {"UP035": 4, "RUF100": 3, "UP006": 12, "UP032": 6}.items():
        items += violations("src/pyotp/__init__.py", code, many)
    items += violations("src/pyotp/hotp.py", "F401", 1) + violations("src/pyotp/totp.py", "UP006", 5)
    fresh(tmp_path, "r/ruff.json", json.dumps(items))
    argv = ["ruff", "check", "--output-format=json", "--output-file", "r/ruff.json", "."]
    text, facts, _ = summary(tmp_path, argv)
    first = facts["ruff"]["first"]
    assert first[:2] == ["setup.py:10:SIM115", "src/pyotp/hotp.py:10:F401"]  # the rarest codes first
    assert text.splitlines()[0].startswith("32 ruff violations; first setup.py:10:SIM115 (SIM115), ")


def test_the_mypy_errors_of_the_file_the_command_names_come_first(tmp_path: Path) -> None:
    """flasgger: ``mypy flasgger/constants.py`` with an error added at constants.py:16 reported 29
    errors, most in the modules it imports; the five named were theirs, the added one nowhere."""
    lines = [f"flasgger/m{i}.py:{i}: error: Module has no attribute  [attr-defined]" for i in range(6)]
    lines += [f"flasgger/x{i}.py:{i}: error: Incompatible default  [assignment]" for i in range(6)]
    lines.append(
        'flasgger/constants.py:16: error: Incompatible types (expression has type "str")  [assignment]'
    )
    out = "\n".join([*lines, "Found 13 errors in 13 files (checked 1 source file)"]) + "\n"
    text, facts, _ = summary(tmp_path, ["python", "-m", "mypy", "./flasgger/constants.py"], out)
    assert facts["mypy"]["first"][0] == (
        'flasgger/constants.py:16: [assignment] Incompatible types (expression has type "str")'
    )
    assert text.startswith("13 mypy errors; first flasgger/constants.py:16: [assignment]"), text
    assert not mypy_text_facts(out)["first"][0].startswith("flasgger/constants.py")  # (named nothing)


def test_the_mypy_errors_named_are_chosen_rarest_code_first() -> None:
    """progressbar2 4.5.0: a type error added at ``algorithms.py:55`` beside 85 older ones; the
    five named, on the terminal and in review.json, were the first five of the output."""
    lines = [f"progressbar/algorithms.py:{30 + i}: error: Incompatible types  [assignment]" for i in range(6)]
    lines += [f"progressbar/bar.py:{10 + i}: error: Missing type  [no-untyped-def]" for i in range(40)]
    lines.insert(
        20, 'progressbar/algorithms.py:55: error: Incompatible return value type (got "str")  [return-value]'
    )
    facts = mypy_text_facts("\n".join([*lines, "Found 47 errors in 2 files (checked 3 source files)"]))
    assert facts["errors"] == 47
    assert facts["first"][0].startswith("progressbar/algorithms.py:55: [return-value]")  # the rarest first
    assert (
        'progressbar/algorithms.py:55: [return-value] Incompatible return value type (got "str")'
        in facts["first"]
    )
