"""Secret redaction for anything that leaves a check or a request: evidence, logs, events, labels.

Rules, applied in this order:
1. literal values of secret-looking environment variables the caller passes in;
2. known token shapes (GitHub, AWS, Slack, OpenAI-style ``sk-…``, JWTs, private key blocks);
3. ``Bearer …`` and ``Basic …`` credentials;
4. credentials inside URLs (``scheme://user:password@host`` keeps user and host);
5. ``key=value`` / ``key: value`` where a component of the key names a secret (``password``,
   ``DB_PASSWORD``, ``apiKey``, ``access-token`` …, but not ``tokens``, ``author`` or
   ``_TOKENIZER_CACHE``, nor a file's name before its line number, ``test_auth.py:273``); quoted
   values keep their quotes, so redacted JSON stays JSON.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

MASK = "[REDACTED]"

_SECRET_WORD = (
    r"(?i:pass(?:word|wd|phrase)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key"
    r"|auth|credentials?|session[_-]?id|cookie)"
)
# a key whose components (split on _ . - or camelCase) include a secret word. Bounded and
# possessive where it may be: the text is untrusted check output, and unbounded nested repeats
# backtrack exponentially ("TokenToken…!") or quadratically ("x.x.x.…"). Up to 8 components of
# up to 64 characters before and after the secret word; after it the longest run is taken (a
# shorter one could never be followed by the quote or separator the key needs).
_KEY = (
    r"(?<![A-Za-z0-9])(?:[A-Za-z0-9]{1,64}[_.-]){0,8}(?:[A-Za-z0-9]{0,63}[a-z0-9](?=[A-Z]))?"
    + _SECRET_WORD
    # the word ends there: not ``tokens``, nor upper case going on (``_TOKENIZER_CACHE``, ``AUTHOR``)
    + r"(?![a-z])(?!(?<=[A-Z])[A-Z])(?:[_.-]?[A-Z][A-Za-z0-9]{0,63}|[_.-][A-Za-z0-9]{1,64}){0,8}+"
)
_KEY_VALUE = re.compile(
    r"(?P<q>[\"']?)(?P<key>" + _KEY + r")(?P=q)(?P<sep>\s*[:=]\s*)"
    r"(?!\[REDACTED\])(?!(?i:bearer|basic)\s)"
    r"(?P<value>\"[^\"\n]*\"|'[^'\n]*'|[^\s,;&\"'}]+)"
)

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S), MASK),
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b"), MASK),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), MASK),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b"), MASK),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{16,}\b"), MASK),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b"), MASK),
    (re.compile(r"(?i)\b(bearer|basic)\s+(?!\[REDACTED\])[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + MASK),
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]{0,31}://[^/\s:@]+:)[^@\s/]+@"), r"\1" + MASK + "@"),
)

# Every rule above needs one of these literally: text without any of them is returned as it is
# (one scan instead of one per rule; events and log lines almost never hold a secret). A key-value
# secret needs its secret word, more key characters at most, an optional quote and then : or =
# ("passed" alone, in every status, does not trigger).
_TRIGGER = re.compile(
    r"-----BEGIN|gh[pousr]_|github_pat_|AKIA|ASIA|xox[abprs]-|sk-|eyJ|(?i:bearer|basic)|://|"
    + _SECRET_WORD
    + r"[A-Za-z0-9_.-]{0,600}[\"']?\s*[:=]"  # 600 > the longest key suffix (8 × 65)
)

# Each alternative of the trigger needs one of these (ASCII text, any case). Looking for literal
# substrings is ~20x faster than the trigger's scan, which tries every alternative at every
# position; it decides alone when none is there (most events and log lines).
_LITERALS = (
    "-----begin", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "akia", "asia", "xox",
    "sk-", "eyj", "bearer", "basic", "://", "pass", "secret", "token", "api", "access", "private",
    "auth", "credential", "session", "cookie",
)  # fmt: skip


def _may_hold_secret(text: str) -> bool:
    """Whether any rule could apply (the trigger), with a literal pre-filter for ASCII text."""
    if text.isascii():  # lower() keeps ASCII aligned with the regex's case-insensitive matching
        low = text.lower()
        hits = [word for word in _LITERALS if word in low]
        if not hits:
            return False
        if hits == ["pass"] and not _secret_pass(text, low):
            return False
    return _TRIGGER.search(text) is not None


def _secret_pass(text: str, low: str) -> bool:
    """Whether a "pass" (any case) could be a secret word: "passed" and "passes" (every status
    line) cannot, as a secret word is never followed by a lower-case letter (password, passwd
    and passphrase are checked by the trigger)."""
    at = low.find("pass")
    while at >= 0:
        after = text[at + 4 : at + 5]
        if not ("a" <= after <= "z") or after in "wp":
            return True
        at = low.find("pass", at + 4)
    return False


_SECRET_ENV = re.compile(r"(?i)pass(?:word|wd|phrase)?|secret|token|api[_-]?key|credential|_KEY$|^KEY_|AUTH")


def secret_env_values(environ: Mapping[str, str], min_length: int = 6) -> tuple[str, ...]:
    """Values of environment variables whose names look secret (long enough to be specific)."""
    values = {v for k, v in environ.items() if _SECRET_ENV.search(k) and len(v) >= min_length}
    return tuple(sorted(values, key=len, reverse=True))


#: an exception's name before its message, not a key (flake8's ``E902 TokenError: EOF in
#: multi-line statement`` read "TokenError: [REDACTED] in …"; a credentials error's message too)
_EXCEPTION = re.compile(r"[A-Z][A-Za-z0-9]*(?:Error|Exception|Warning)")


#: a file's name before a line number, not a key (httpx's ``SKIPPED [1] tests/client/test_auth.py:273:
#: netrc files without a password`` read ``test_auth.py:[REDACTED]``): a secret word before its
#: extension, a line number right after the colon (``db.token:123456`` stays a key)
_FILE_LINE = re.compile(r".*\.(?!" + _SECRET_WORD + r":)[A-Za-z][A-Za-z0-9]{0,5}:\d+(?::\d*)*")


def _mask_value(match: re.Match[str]) -> str:
    key, sep, value = match.group("key", "sep", "value")
    if (sep.strip() == ":" and _EXCEPTION.fullmatch(key)) or _FILE_LINE.fullmatch(f"{key}{sep}{value}"):
        return match.group(0)
    masked = f"{value[0]}{MASK}{value[0]}" if value[0] in "\"'" else MASK
    quote = match.group("q")
    return f"{quote}{match.group('key')}{quote}{match.group('sep')}{masked}"


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Return ``text`` with every secret the rules recognise replaced by ``[REDACTED]``."""
    if not text:
        return text
    for value in secrets:
        if value:
            text = text.replace(value, MASK)
    if not _may_hold_secret(text):
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return _KEY_VALUE.sub(_mask_value, text)


def redact_argv(argv: Iterable[str], secrets: Iterable[str] = ()) -> list[str]:
    """Redact each argv element (``--token=abc`` style flags included)."""
    secrets = tuple(secrets)
    return [redact(arg, secrets) for arg in argv]
