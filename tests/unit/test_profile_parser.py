"""``initial.md`` parsing (``prp_tasks.intake.profiles.parser``); finding and resolving the file is in
test_profile_lookup.py, blocks that do not parse in test_profile_syntax.py."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prp_tasks.core.models import Role
from prp_tasks.core.profile import PROFILE_KEYS, AutoApproveRule, InitialDoc, ParsedProfile
from prp_tasks.errors import ProfileError
from prp_tasks.intake.profiles.parser import parse_initial_md

FENCE = "```"


def md(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def yaml_block(*lines: str) -> str:
    return md(f"{FENCE}yaml", *lines, FENCE)


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based number of the line containing ``needle`` (its ``occurrence``-th match)."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    return hits[occurrence - 1]


def profile_error(text: str, source: str = "initial.md") -> str:
    with pytest.raises(ProfileError) as info:
        parse_initial_md(text, source=source)
    return info.value.message


# markdown sections ----------------------------------------------------------------------------

SECTIONS = md(
    "Intro before any header.",
    "",
    "# Checkout revamp",
    "",
    "Users abandon carts at payment.",
    "",
    "## Background and description ##",
    "More context.",
    "",
    "## Requirements",
    "- Support cards",
    "* Support wallets",
    "+ Support vouchers",
    "1. Refunds within 5 days",
    "2) Partial refunds",
    "- [ ] Unchecked item",
    "- [x] Checked item",
    "    continuation line",
    f"{FENCE}text",
    "- inside a fence, not a requirement",
    FENCE,
    "## Constraints",
    "- No new services",
    "## References",
    "- https://example.com/spec",
    "## Test plan",
    "- unit tests for refunds",
    "## Acceptance Criteria",
    "- Refund visible in history",
    "### Success criteria",
    "1. Abandonment drops by 10%",
    "## Notes",
    "- not collected",
    "# A second H1 is just a header",
    "- not collected either",
)


def test_sections_are_collected_by_header() -> None:
    assert parse_initial_md(SECTIONS).doc == InitialDoc(
        title="Checkout revamp",
        context="Intro before any header.\nUsers abandon carts at payment.\nMore context.",
        requirements=(
            "Support cards",
            "Support wallets",
            "Support vouchers",
            "Refunds within 5 days",
            "Partial refunds",
            "Unchecked item",
            "Checked item",
            "continuation line",
        ),
        constraints=("No new services",),
        references=("https://example.com/spec",),
        tests=("unit tests for refunds",),
        acceptance_criteria=("Refund visible in history", "Abandonment drops by 10%"),
    )


def test_the_first_matching_section_word_wins() -> None:
    doc = parse_initial_md(md("## Requirements and tests", "- a", "## Acceptance tests", "- b")).doc
    assert (doc.requirements, doc.tests, doc.acceptance_criteria) == (("a",), ("b",), ())


def test_a_document_without_profile_blocks_has_the_default_profile() -> None:
    parsed = parse_initial_md(SECTIONS)
    assert parsed == ParsedProfile(doc=parsed.doc)


def test_an_empty_document_is_all_defaults() -> None:
    assert parse_initial_md("") == ParsedProfile()


# profile blocks -------------------------------------------------------------------------------


def test_yaml_lists_and_nested_maps_and_json_blocks_set_the_profile() -> None:
    text = md(
        "# Profile",
        yaml_block(
            "architecture:",
            "  boundaries: [core, adapters]",
            "  naming:",
            "    modules: snake_case",
            "  layout:",
            "    - src",
            "    - tests",
            "governance:",
            "  owners:",
            '    "src/": ["@payments"]',
            "  commands:",
            "    test: [pytest, -q]",
            "approvers:",
            "  G0: architect",
            "approval:",
            "  auto_approve: [G5]",
        ),
        f"{FENCE}json",
        '{"budgets": {"performance": {"lcp": 2000}}, "reports": {"security": ["scan.sarif"]}}',
        FENCE,
    )
    profile = parse_initial_md(text).profile
    assert profile.architecture.boundaries == ("core", "adapters")
    assert profile.architecture.naming == {"modules": "snake_case"}
    assert profile.architecture.layout == ("src", "tests")
    assert profile.governance.owners == {"src/": ("@payments",)}
    assert profile.governance.commands == {"test": ("pytest", "-q")}
    assert profile.approvers == {"G0": Role.ARCHITECT}
    assert profile.approval.auto_approve == (AutoApproveRule(gates=("G5",)),)
    assert profile.budgets.performance.lcp == 2000
    assert profile.budgets.performance.tbt == 300  # untouched default
    assert profile.reports.security == ("scan.sarif",)


def test_yml_and_tilde_fences_are_profile_blocks_too() -> None:
    text = md("~~~yml", "budgets: {coverage: {lines: 70}}", "~~~")
    assert parse_initial_md(text).profile.budgets.coverage.lines == 70


def test_later_blocks_win_per_leaf_and_keep_sibling_keys() -> None:
    text = md(
        yaml_block(
            "budgets:",
            "  coverage:",
            "    lines: 80",
            "    branches: 70",
            "architecture:",
            "  layout: [a, b]",
        ),
        "Some prose between blocks.",
        yaml_block("budgets:", "  coverage:", "    lines: 85", "architecture:", "  layout: [c]"),
    )
    parsed = parse_initial_md(text)
    coverage = parsed.profile.budgets.coverage
    assert (coverage.lines, coverage.branches, coverage.functions) == (85, 70, 95)
    assert parsed.profile.architecture.layout == ("c",)  # lists are replaced, not merged
    assert parsed.lines["budgets.coverage.lines"] == line_of(text, "lines: 85")
    assert parsed.lines["budgets.coverage.branches"] == line_of(text, "branches: 70")


def test_a_later_valid_value_replaces_an_earlier_invalid_one() -> None:
    text = md(yaml_block("budgets: {coverage: {lines: 101}}"), yaml_block("budgets: {coverage: {lines: 90}}"))
    assert parse_initial_md(text).profile.budgets.coverage.lines == 90


def test_example_blocks_are_left_alone() -> None:
    text = md(
        yaml_block("services:", "  web: {image: nginx}"),
        f"{FENCE}json",
        "[1, 2, 3]",
        FENCE,
        yaml_block("just a string"),
        f"{FENCE}python",
        "budgets = {'coverage': 1}",
        FENCE,
        f"{FENCE}",
        "budgets: {coverage: {lines: 1}}",
        FENCE,  # untagged: not yaml
    )
    assert parse_initial_md(text).profile == ParsedProfile().profile


def test_an_unterminated_fence_is_still_a_block() -> None:
    text = md("# T", f"{FENCE}yaml", "budgets: {coverage: {lines: 60}}")
    assert parse_initial_md(text).profile.budgets.coverage.lines == 60


# errors name file, line and field -------------------------------------------------------------


def test_an_unknown_profile_key_is_an_error_with_file_and_line() -> None:
    text = md("# T", "", yaml_block("budgets: {}", "bugdets: {coverage: {lines: 10}}"))
    assert profile_error(text) == (
        f"initial.md:{line_of(text, 'bugdets')}: bugdets: unknown profile key 'bugdets' "
        "(did you mean 'budgets'?)"
    )


def test_a_key_far_from_any_profile_key_lists_the_allowed_ones() -> None:
    text = md(yaml_block("budgets: {}", "extras: 1"))
    assert profile_error(text).endswith(f"unknown profile key 'extras' (allowed: {', '.join(PROFILE_KEYS)})")
    assert {"project", "budgets", "architecture", "governance", "reports", "approval"} <= set(PROFILE_KEYS)


def test_a_block_whose_only_key_is_a_typo_of_a_profile_key_is_not_ignored() -> None:
    text = md("# T", yaml_block("goverance:", "  license: MIT"))
    assert profile_error(text) == (
        f"initial.md:{line_of(text, 'goverance')}: goverance: unknown profile key 'goverance' "
        "(did you mean 'governance'?)"
    )


@pytest.mark.parametrize(
    ("lines", "key"),
    [
        (("budgets: {}", "bugdets:", "  coverage: {lines: 10}"), "bugdets"),
        (("budgets:", "  covrage:", "    lines: 10"), "covrage"),
    ],
)
def test_an_unknown_key_is_located_at_its_own_line(lines: tuple[str, ...], key: str) -> None:
    text = md("# T", yaml_block(*lines))
    assert profile_error(text).startswith(f"initial.md:{line_of(text, key)}: ")


def test_an_unknown_nested_key_suggests_the_closest_field() -> None:
    text = md("# T", yaml_block("budgets:", "  coverage:", "    line: 90"))
    assert profile_error(text) == (
        f"initial.md:{line_of(text, 'line: 90')}: budgets.coverage.line: "
        "unknown key 'line' (did you mean 'lines'?)"
    )


def test_a_commands_own_environment_needs_that_command() -> None:
    ok = md("# T", yaml_block("governance:", "  commands: {type-check: [mypy]}", "environments:",
                             "  type-check: {packages: [fastnumbers]}"))  # fmt: skip
    assert parse_initial_md(ok).profile.environments["type-check"].packages == ("fastnumbers",)
    text = md("# T", yaml_block("environments:", "  lint: {packages: [x]}"))
    assert "environments.lint: no governance.commands entry of that name" in profile_error(text)


def test_a_commands_workdir_is_a_folder_of_the_repository_for_a_command_it_has() -> None:
    lines = ("governance:", "  commands: {test: [python, test.py]}", "  workdirs: {test: test}")
    ok = md("# T", yaml_block(*lines))
    assert parse_initial_md(ok).profile.governance.workdirs == {"test": "test"}
    unknown = md("# T", yaml_block("governance:", "  workdirs: {lint: src}"))
    assert "governance: workdirs.lint: no commands entry of that name to run there" in profile_error(unknown)
    up = md("# T", yaml_block("governance:", "  commands: {test: [t]}", "  workdirs: {test: ../x}"))
    assert "governance.workdirs.test: '../x' is not a plain relative path" in profile_error(up)


def test_a_scalar_where_a_mapping_belongs_names_the_keys_not_a_class() -> None:
    text = md("# T", yaml_block("budgets:", "  coverage: 80"))
    assert profile_error(text) == (
        f"initial.md:{line_of(text, 'coverage: 80')}: budgets.coverage: "
        "should be a mapping with the keys lines, branches, functions, statements, total"
    )


def test_a_bad_value_names_file_line_and_field() -> None:
    block = yaml_block("budgets:", "  coverage:", "    branches: 80", "    lines: 101")
    text = md("# T", "", "Intro.", block)
    assert profile_error(text) == (
        f"initial.md:{line_of(text, 'lines: 101')}: budgets.coverage.lines: "
        "Input should be less than or equal to 100"
    )


def test_a_bad_value_points_at_the_block_that_set_it() -> None:
    later = yaml_block("budgets:", "  coverage:", "    lines: 101")
    text = md(yaml_block("budgets: {coverage: {lines: 80}}"), later)
    line = line_of(text, "lines: 101")
    assert profile_error(text).startswith(f"initial.md:{line}: budgets.coverage.lines:")


def test_a_bad_json_value_names_its_line() -> None:
    json_lines = ("{", '  "budgets": {', '    "coverage": {"lines": 101}', "  }", "}")
    text = md("# T", f"{FENCE}json", *json_lines, FENCE)
    assert profile_error(text, source="docs/initial.md") == (
        f"docs/initial.md:{line_of(text, 'lines')}: budgets.coverage.lines: "
        "Input should be less than or equal to 100"
    )


def test_a_bad_role_is_refused() -> None:
    text = yaml_block("approvers:", "  G0: boss")
    line = line_of(text, "G0: boss")
    assert profile_error(text).startswith(f"initial.md:{line}: approvers.G0: Input should be")


# never any other exception --------------------------------------------------------------------

FRAGMENTS = [
    f"{FENCE}yaml",
    f"{FENCE}json",
    FENCE,
    "~~~yml",
    "~~~",
    f"{FENCE}`yaml",
    "# Title",
    "## Requirements",
    "## Acceptance criteria",
    "- item",
    "1. item",
    "- [x] done",
    "budgets:",
    "  coverage:",
    "    lines: 101",
    "    lines: 50",
    "    lines: x",
    "approvers: {G0: architect}",
    "approvers: {G0: boss}",
    "approvers: [G0]",
    '{"budgets": {"coverage": {"lines": 5}}}',
    '{"budgets": 1}',
    '{"budgets": {"coverage": {"lines": NaN}}}',
    "foo: 1",
    "foo: 2",
    "[",
    "{",
    "governance: []",
    "governance:",
    "  commands: {test: []}",
    "~: 1",
    "1: 2",
    "? a",
    ": b",
    "<<: {budgets: 1}",
    "&a x",
    "*a",
    "budgets: &b {}",
    "--- ",
    "...",
    "%YAML 1.1",
    "\t",
    "null",
    "budgets: {coverage: {lines: .nan}}",
    "budgets: {coverage: {lines: true}}",
    "approval: {timeout_s: -1}",
]


@settings(max_examples=100, deadline=None)
@given(st.text())
def test_arbitrary_text_parses_or_raises_a_profile_error(text: str) -> None:
    try:
        parse_initial_md(text)
    except ProfileError:
        pass


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=20))
def test_markdown_ish_text_parses_or_raises_a_profile_error(parts: list[str]) -> None:
    try:
        parse_initial_md("\n".join(parts))
    except ProfileError as exc:
        assert exc.message


def test_a_misspelt_required_check_is_an_error_naming_the_close_one() -> None:
    """``checks: [tset, test, …]`` passed ``prp profile check``; the run then reported a missing
    ``tset`` command as its only trace of the typo."""
    text = md("# T", yaml_block("governance:", '  checks: ["tset", "lint"]'))
    assert "governance: checks: 'tset' is no command's name (did you mean 'test'?)" in profile_error(text)
    own = md(
        "# T", yaml_block("governance:", '  checks: ["docs"]', '  commands: {"docs": ["mkdocs", "build"]}')
    )
    assert parse_initial_md(own).profile.governance.checks == ("docs",)
    unknown = md("# T", yaml_block("governance:", '  checks: ["security-scan"]'))  # near nothing: allowed
    assert parse_initial_md(unknown).profile.governance.checks == ("security-scan",)
