"""Secret redaction (``prp_tasks.core.redact``): every documented rule, with exact outputs."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prp_tasks.core.redact import MASK, redact, redact_argv, secret_env_values

GHP = "ghp_" + "a1B2" * 9
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.SflKxwRJSMeKKF2QT4fwpM"


def exact(pairs: list[tuple[str, str]]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize(("text", "expected"), pairs)


# 1. token shapes ------------------------------------------------------------------------------


@exact(
    [
        (f"token {GHP} used", f"token {MASK} used"),
        ("github_pat_11ABCDEFG0123456789_abcdefghij", MASK),
        ("ghs_abcdefghijklmnopqrstuvwxyz", MASK),
        ("aws AKIAABCDEFGHIJKLMNOP.", f"aws {MASK}."),
        ("ASIAABCDEFGHIJKLMNOP", MASK),
        ("slack xoxb-1234567890-abcdef!", f"slack {MASK}!"),
        ("key sk-abcdefghijklmnopqrstuv end", f"key {MASK} end"),
        (f"jwt {JWT}", f"jwt {MASK}"),
    ]
)
def test_known_token_shapes_are_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_a_private_key_block_is_masked_whole() -> None:
    text = (
        "before\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabc/def+==\n"
        "-----END RSA PRIVATE KEY-----\nafter"
    )
    assert redact(text) == f"before\n{MASK}\nafter"
    assert redact("a -----BEGIN PRIVATE KEY-----x-----END PRIVATE KEY----- b") == f"a {MASK} b"


# 2. Authorization credentials -----------------------------------------------------------------


@exact(
    [
        ("Bearer abcdefghijkl", f"Bearer {MASK}"),
        ("BEARER abcdefgh1234", f"BEARER {MASK}"),
        ("Basic dXNlcjpwYXNz", f"Basic {MASK}"),
        ("curl -H 'X: Bearer abc.def~ghi/jkl+mno=' -v", f"curl -H 'X: Bearer {MASK}' -v"),
    ]
)
def test_bearer_and_basic_credentials_are_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_an_authorization_header_loses_its_credential() -> None:
    redacted = redact("Authorization: Bearer abcdefghijklmnop")
    assert "abcdefghijklmnop" not in redacted
    assert redacted.startswith("Authorization: ")


# 3. key=value ---------------------------------------------------------------------------------


@exact(
    [
        ("password=hunter2", f"password={MASK}"),
        ("DB_PASSWORD=hunter2hunter2", f"DB_PASSWORD={MASK}"),
        ("passwd: x", f"passwd: {MASK}"),
        ("secret = s3cr3t; next", f"secret = {MASK}; next"),
        ("--token=abcdef", f"--token={MASK}"),
        ("x-api-key: abc123", f"x-api-key: {MASK}"),
        ("api_key=abc123, other=1", f"api_key={MASK}, other=1"),
        ("private_key: abc", f"private_key: {MASK}"),
        ("credentials: foo", f"credentials: {MASK}"),
        ("session_id=abc; x=1", f"session_id={MASK}; x=1"),
        ("cookie=abc&x=1", f"cookie={MASK}&x=1"),
        ("client_secret=xyz&grant_type=code", f"client_secret={MASK}&grant_type=code"),
        ("user=bob password=pw1 host=h", f"user=bob password={MASK} host=h"),
        (f"GITHUB_TOKEN={GHP}", f"GITHUB_TOKEN={MASK}"),
    ]
)
def test_values_of_secret_named_keys_are_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


@exact(
    [
        ('password="a b c" next', f'password="{MASK}" next'),
        ("API_KEY='a b' rest", f"API_KEY='{MASK}' rest"),
        ("print('password=hunter2hunter2')", f"print('password={MASK}')"),
    ]
)
def test_quoted_values_are_masked_whole(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_a_json_secret_value_is_masked_and_its_siblings_kept() -> None:
    redacted = redact('{"password": "x", "user": "bob"}')
    assert redacted.startswith('{"password": ')
    assert redacted.endswith(', "user": "bob"}')
    assert '"x"' not in redacted and MASK in redacted


def test_a_json_secret_value_keeps_its_quotes() -> None:
    assert redact('{"password": "x", "user": "bob"}') == f'{{"password": "{MASK}", "user": "bob"}}'


# 4. URL credentials ---------------------------------------------------------------------------


@exact(
    [
        ("https://user:pa55word@example.com/x", f"https://user:{MASK}@example.com/x"),
        ("postgres://admin:hunter2@db:5432/app", f"postgres://admin:{MASK}@db:5432/app"),
        ("mysql://root:pw@localhost/db ok", f"mysql://root:{MASK}@localhost/db ok"),
    ]
)
def test_passwords_in_urls_are_masked(text: str, expected: str) -> None:
    assert redact(text) == expected


@exact(
    [
        ("Authorization: Bearer abcdefghijklmnop", f"Authorization: Bearer {MASK}"),
        (
            "https://x-access-token:ghs_abcdefghijklmnopqrstuvwx@github.com/o/r",
            f"https://x-access-token:{MASK}@github.com/o/r",
        ),
    ]
)
def test_masking_keeps_the_scheme_and_the_host(text: str, expected: str) -> None:
    assert redact(text) == expected


# 5. explicit secret values --------------------------------------------------------------------


def test_explicit_secret_values_are_masked_anywhere() -> None:
    assert redact("value s3cr3t-value-123 here", ["s3cr3t-value-123"]) == f"value {MASK} here"
    assert redact("xs3cr3t-value-123x", ["s3cr3t-value-123"]) == f"x{MASK}x"


def test_an_empty_explicit_secret_changes_nothing() -> None:
    assert redact("abc", [""]) == "abc"
    assert redact("", ["x"]) == ""


def test_secret_env_values_picks_secret_looking_names_longest_first() -> None:
    environ = {
        "GITHUB_TOKEN": "tok-123456",
        "DB_PASSWORD": "pw-12345678",
        "AWS_SECRET_ACCESS_KEY": "abcdefghi",
        "SIGNING_KEY": "key-long-enough",
        "KEY_FILE_PASS": "passphrase-1",
        "SHORT_TOKEN": "abc",
        "HOME": "/home/someone",
        "PATH": "/usr/bin:/bin",
        "SAME_TOKEN": "tok-123456",
    }
    assert secret_env_values(environ) == (
        "key-long-enough",
        "passphrase-1",
        "pw-12345678",
        "tok-123456",
        "abcdefghi",
    )
    assert secret_env_values({"SHORT_TOKEN": "abc"}, min_length=3) == ("abc",)


def test_argv_elements_are_redacted_one_by_one() -> None:
    assert redact_argv(["--token=abc", "plain", "use s3cr3t-value"], ["s3cr3t-value"]) == [
        f"--token={MASK}",
        "plain",
        f"use {MASK}",
    ]


# ordinary text --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "passed 3 tests",
        "ok: 3 passed, 0 failed",
        "the token is fine",
        "basic setup complete",
        "Bearer token",
        "see https://example.com/a:b@c",
        "sk-short",
        "AKIA1234",
        "task-runner-abcdefghijklmnop",
        "eyJhbGciOiJIUzI1NiJ9.short.x",
        "lines: 95, branches: 90",
        "",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "tokens: 5 found",
        "author: Alice",
        "passed: 3",
        "AUTHOR: Alice",
        # cssutils' mypy hint, "dict[" masked in the evidence: "_TOKENIZER_CACHE: [REDACTED], <type>]"
        'hint: "_TOKENIZER_CACHE: dict[<type>, <type>] = ..."',
        # priority's flake8 E902: "TokenError: [REDACTED] in multi-line statement", an exception's name
        "src/priority/priority.py:1:1: E902 TokenError: EOF in multi-line statement",
        # httpx's skip reason: "tests/client/test_auth.py:[REDACTED] netrc files without a password"
        "SKIPPED [1] tests/client/test_auth.py:273: netrc files without a password",
        "src/app/auth.py:12:5: F401 'os' imported but unused",
    ],
)
def test_words_that_only_contain_a_secret_name_are_not_keys(text: str) -> None:
    assert redact(text) == text


def test_a_dotted_key_ending_in_a_secret_word_is_still_a_key() -> None:
    assert redact("db.token:123456 and db.pass: 9876") == "db.token:[REDACTED] and db.pass: [REDACTED]"


def _every_rule(text: str) -> str:
    """``redact`` without its trigger pre-filter: every rule applied."""
    from prp_tasks.core import redact as module

    for pattern, replacement in module._PATTERNS:
        text = pattern.sub(replacement, text)
    return module._KEY_VALUE.sub(module._mask_value, text)


_PIECES = st.sampled_from(
    [
        "ghp_" + "a1" * 12,
        "AKIA" + "B" * 16,
        "Bearer abcdefgh123",
        "https://u:p@h/",
        "password=x1",
        "apiKey: 'v'",
        "-----BEGIN RSA PRIVATE KEY-----\nx\n-----END RSA PRIVATE KEY-----",
        "eyJ" + "a" * 9 + ".bbbbbbbbb.ccccccccc",
        "sk-" + "z" * 20,
        "xoxb-1234567890a",
        " ",
        "\n",
        "=",
        ":",
        '"',
        "'",
        "plain",
        "passed",
        "PASSED",  # a key: "PASS" followed by no lower-case letter
        "passes",
        "PassPhrase",
        "w",
        "E",
        "token",
        "Token",
        "api_key",
        "x.",
        "-",
        "_",
        "Auth",
        "session_id",
        "\t",
    ]
)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(_PIECES, _PIECES, st.text(max_size=12)), max_size=12).map("".join))
def test_the_trigger_pre_filter_never_skips_a_rule(text: str) -> None:
    assert redact(text) == _every_rule(text)


@pytest.mark.parametrize(
    "text",
    [
        "Token" * 1600 + "! token=x",  # nested repeats: exponential before
        "x." * 4000,  # quadratic before (key prefixes, URL schemes)
        "api_key." * 1000 + ":",
        "Auth-" * 1600 + "x=",
        "passed" * 2000,
    ],
    ids=["camel-run", "dotted-run", "key-run", "auth-run", "passed-run"],
)
def test_hostile_output_is_redacted_in_bounded_time(text: str) -> None:
    """Check output is untrusted: no input of a tail's size may stall a worker in a regex."""
    import time

    started = time.process_time()
    redact(text)
    assert time.process_time() - started < 2.0  # ~0.1 s here; seconds to hours before the bounds
