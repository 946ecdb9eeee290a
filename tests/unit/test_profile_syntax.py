"""A profile block that does not parse (``prp_tasks.intake.profiles.parser``): YAML and JSON
syntax errors with their line and what they usually mean, duplicate keys, tags and aliases that
cannot be built; the values that do not validate are in test_profile_parser.py."""

from __future__ import annotations

import pytest

from prp_tasks.errors import ProfileError
from prp_tasks.intake.profiles.parser import parse_initial_md
from tests.unit.test_profile_parser import FENCE, line_of, md, profile_error, yaml_block


def test_invalid_yaml_is_an_error_with_its_line() -> None:
    text = md("# T", yaml_block("budgets:", "  coverage: {lines: 80", "architecture: {}"))
    message = profile_error(text)
    assert message.startswith("initial.md:")
    assert ": invalid YAML: " in message
    line = int(message.split(":")[1])
    assert line_of(text, "coverage:") <= line <= line_of(text, "architecture")


def test_a_badly_indented_line_is_explained_not_only_in_the_parsers_words() -> None:
    """A key indented one space too far read "invalid YAML: expected <block end>, but found
    '<block mapping start>'" (a user trying prp on jsonpointer)."""
    text = md("# T", yaml_block("governance:", '   license: "MIT"', '  checks: ["test"]'))
    message = profile_error(text)
    assert message.startswith(f"initial.md:{line_of(text, 'checks:')}: invalid YAML: this line is indented")
    assert "(expected <block end>, but found '<block mapping start>')" in message
    tabbed = profile_error(md("# T", yaml_block("budgets:", "\tcoverage: null")))
    assert "YAML indents with spaces, not tabs" in tabbed


def test_a_list_or_a_mapping_of_the_wrong_kind_is_named_as_written() -> None:
    """``checks: test`` said "Input should be a valid tuple" (a YAML list is what is meant)."""
    text = md("# T", yaml_block("governance:", "  checks: test"))
    assert profile_error(text).endswith("governance.checks: should be a list")
    text = md("# T", yaml_block("governance:", '  commands: ["python", "-m", "pytest"]'))
    assert profile_error(text).endswith("governance.commands: should be a mapping")


def test_invalid_json_is_an_error_with_its_line() -> None:
    text = md("# T", f"{FENCE}json", '{"budgets": {"coverage":', '  {"lines": 101}}', FENCE)
    line = line_of(text, "lines")
    assert profile_error(text) == f"initial.md:{line}: invalid JSON: Expecting ',' delimiter"


def test_a_duplicate_yaml_key_is_an_error() -> None:
    text = md("# T", yaml_block("budgets:", "  coverage:", "    lines: 80", "    lines: 90"))
    assert profile_error(text) == (
        f"initial.md:{line_of(text, 'lines: 90')}: budgets.coverage: "
        "duplicate key 'lines' (YAML would keep only the last)"
    )


def test_problems_of_every_block_are_reported_together() -> None:
    text = md(yaml_block("bugdets: {}", "budgets: {}"), yaml_block("budgets: ["))
    message = profile_error(text)
    assert len(message.splitlines()) == 2
    assert "unknown profile key 'bugdets'" in message and "invalid YAML" in message


def test_a_duplicate_key_in_an_example_block_is_ignored() -> None:
    parse_initial_md(yaml_block("services:", "  web: {image: a}", "  web: {image: b}"))


@pytest.mark.parametrize("value", ["!!int x", "!!float x", "!!timestamp x"])
def test_a_yaml_tag_that_cannot_construct_is_a_profile_error(value: str) -> None:
    with pytest.raises(ProfileError, match=r"initial\.md:3"):
        parse_initial_md(yaml_block("budgets:", f"  coverage: {{lines: {value}}}"))


def test_a_recursive_yaml_alias_is_a_profile_error_or_an_example() -> None:
    try:
        parse_initial_md(yaml_block("- &a [*a]"))
    except ProfileError:
        pass


def nested_aliases(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels)]
    return yaml_block(*lines)


@pytest.mark.timeout(0.3)
def test_a_small_example_block_of_nested_aliases_parses_quickly() -> None:
    text = nested_aliases(8)  # ~460 bytes, 10**8 nodes once expanded
    assert len(text) < 500
    parse_initial_md(text)
