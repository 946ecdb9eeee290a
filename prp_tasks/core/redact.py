"""Secret redaction for anything that leaves a check or a request: evidence, logs, events, labels.

Rules (documented in the README):
1. known token shapes (GitHub, AWS, Slack, OpenAI-style ``sk-…``, JWTs, private key blocks);
2. ``Authorization: Bearer …`` and ``Basic …`` credentials;
3. ``key=value`` / ``key: value`` where the key names a secret (password, secret, token, api key …);
4. credentials inside URLs (``scheme://user:password@host``);
5. literal values of secret-looking environment variables the caller passes in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

MASK = "[REDACTED]"

_SECRET_NAME = r"(?:pass(?:word|wd)?|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|auth|credentials?|session[_-]?id|cookie)"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S), MASK),
    (re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})\b"), MASK),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), MASK),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b"), MASK),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{16,}\b"), MASK),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b"), MASK),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + MASK),
    (
        re.compile(
            rf"(?i)([\"']?[A-Za-z0-9_.-]*{_SECRET_NAME}[A-Za-z0-9_.-]*[\"']?\s*[:=]\s*)"
            r"(?:\"[^\"\n]*\"|'[^'\n]*'|[^\s,;&\"'}]+)"
        ),
        r"\1" + MASK,
    ),
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@\s/]+@"), r"\1" + MASK + "@"),
)

_SECRET_ENV = re.compile(rf"(?i){_SECRET_NAME}|_KEY$|^KEY_")


def secret_env_values(environ: Mapping[str, str], min_length: int = 6) -> tuple[str, ...]:
    """Values of environment variables whose names look secret (long enough to be specific)."""
    values = {v for k, v in environ.items() if _SECRET_ENV.search(k) and len(v) >= min_length}
    return tuple(sorted(values, key=len, reverse=True))


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Return ``text`` with every secret the rules recognise replaced by ``[REDACTED]``."""
    if not text:
        return text
    for value in secrets:
        if value:
            text = text.replace(value, MASK)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_argv(argv: Iterable[str], secrets: Iterable[str] = ()) -> list[str]:
    """Redact each argv element (``--token=abc`` style flags included)."""
    secrets = tuple(secrets)
    return [redact(arg, secrets) for arg in argv]
