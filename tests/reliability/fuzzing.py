"""Shared pieces of the bad-input fuzz tests: the seed, hypothesis settings and input vocabulary.

Runs are deterministic: every property uses seed ``DEFAULT_SEED``. Rerun with another seed with
``PRP_RELIABILITY_SEED=N .venv/bin/python -m pytest tests/reliability``. (``tests/conftest.py``
removes ``PRP_*`` variables from ``os.environ`` before tests import, so the seed is read from the
environment the process started with.)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import yaml
from hypothesis import HealthCheck, seed
from hypothesis import settings as fuzz_settings
from hypothesis import strategies as st

from prp_tasks.core.catalog import BUILTIN_CHECKS

SEED_VAR = "PRP_RELIABILITY_SEED"
DEFAULT_SEED = 20260301
T = TypeVar("T")


def _startup_environ() -> dict[str, str]:
    """The environment this process started with (Linux), before conftest scrubbed ``PRP_*``."""
    try:
        raw = Path("/proc/self/environ").read_bytes()
    except OSError:
        return {}
    pairs = (item.decode(errors="replace").partition("=") for item in raw.split(b"\0") if item)
    return {name: value for name, _, value in pairs}


def reliability_seed() -> int:
    raw = os.environ.get(SEED_VAR) or _startup_environ().get(SEED_VAR)
    return int(raw) if raw else DEFAULT_SEED


SEED = reliability_seed()


def fuzz(max_examples: int) -> Callable[[T], T]:
    """hypothesis settings shared by every property here (seeded, no example database)."""

    def wrap(test: T) -> T:
        configured = fuzz_settings(
            max_examples=max_examples,
            deadline=None,
            derandomize=False,
            database=None,
            suppress_health_check=list(HealthCheck),
        )(test)  # type: ignore[operator]
        return seed(SEED)(configured)  # type: ignore[no-any-return]

    return wrap


# vocabulary ------------------------------------------------------------------------------------

WORKFLOW_KEYS = (
    "name", "gates", "id", "depends_on", "checks", "run", "builtin", "approval", "role", "queue",
    "timeout_s", "retries", "produces", "needs", "needs_from", "budget", "estimate_tokens",
    "retry_on", "breaker", "cacheable", "tokens", "wall_s", "max_parallel_gates", "exit_codes",
    "timeout", "quorum", "on_timeout", "threshold", "open_s", "depend_on", "Gates", "description",
)  # fmt: skip
PLAUSIBLE = (
    "G0", "G1", "A", "", " ", "true", "false", "null", "~", "automated", "approval", "control",
    "gpu", "code-reviewer", "qa-lead", "root", "fail", "approve", "blueprint-validation",
    "no-such-builtin", "../../etc/passwd", "/etc/passwd", "a/./b", "a//b", "C:\\x", "x\\y",
    "echo hi && rm -rf /", "$(touch pwned)", "`id`", "ünïcödé", "a" * 300, "0x1F", "1e999",
    "-1", "NaN", "2020-01-01", "%2e%2e%2f", "\x00", "\u202e", "name: x",
)  # fmt: skip
GATE_IDS = ("G0", "G1", "G2", "a", "b", "x y", "", "../g", "G0")

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.sampled_from(PLAUSIBLE),
)
keys = st.one_of(st.sampled_from(WORKFLOW_KEYS), st.text(max_size=8))
junk = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)
paths = st.one_of(
    st.sampled_from(["out.txt", "reports/junit.xml", "../x", "/abs", "a/../b", "", ".", "a//b"]), junk
)
path_lists = st.one_of(st.lists(paths, max_size=3), junk)


def maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually a plausible value, sometimes anything at all."""
    return st.one_of(strategy, strategy, junk)


argv = st.one_of(
    st.just(["true"]),
    st.just(["python", "-c", "pass"]),
    st.sampled_from(["true", "echo hi; rm -rf /", ""]),  # shell strings: refused
    st.lists(st.one_of(st.sampled_from(["true", "", " ", "-c"]), scalars), max_size=3),
)
checks = st.fixed_dictionaries(
    {"name": maybe(st.sampled_from(["c1", "c2", "c1", "bad name", ""]))},
    optional={
        "run": argv,
        "builtin": maybe(st.sampled_from([*list(BUILTIN_CHECKS)[:4], "nope"])),
        "produces": path_lists,
        "needs": path_lists,
        "needs_from": maybe(st.dictionaries(st.sampled_from(GATE_IDS), path_lists, max_size=2)),
        "retries": maybe(st.integers(-1, 12)),
        "retry_on": maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "exit_codes": st.lists(st.integers(-1, 300), max_size=3),
                    "timeout": st.booleans(),
                    "exceptions": st.lists(st.text(max_size=5), max_size=2),
                },
            )
        ),
        "breaker": maybe(
            st.one_of(
                st.booleans(),
                st.fixed_dictionaries(
                    {"name": st.sampled_from(GATE_IDS)},
                    optional={"threshold": st.integers(-1, 2000), "open_s": scalars},
                ),
            )
        ),
        "cacheable": maybe(st.booleans()),
        "timeout_s": maybe(st.floats(-1, 1e6)),
        "estimate_tokens": maybe(st.integers(-1, 10**10)),
        "retry_backoff_s": junk,
        "bogus": junk,
    },
)
approvals = maybe(
    st.fixed_dictionaries(
        {"role": maybe(st.sampled_from(["code-reviewer", "qa-lead", "root", ""]))},
        optional={
            "quorum": maybe(st.integers(-1, 30)),
            "timeout_s": scalars,
            "on_timeout": maybe(st.sampled_from(["fail", "approve", "explode"])),
            "escalate_after_s": scalars,
            "escalate_to": maybe(st.sampled_from(["architect", "nobody"])),
            "reminder_s": scalars,
        },
    )
)


@st.composite
def workflow_dicts(draw: st.DrawFn) -> Any:
    """A workflow-shaped document: mostly right structure, wrong details (or plain junk)."""
    ids = draw(st.lists(st.sampled_from(GATE_IDS), max_size=4))
    gates = []
    for gate_id in ids:
        gate = draw(
            st.fixed_dictionaries(
                {"id": maybe(st.just(gate_id))},
                optional={
                    # a pool of the workflow's own ids: unknown dependencies, self-loops and cycles
                    "depends_on": maybe(st.lists(st.sampled_from([*ids, "nope"]), max_size=3)),
                    "checks": maybe(st.lists(checks, max_size=3)),
                    "approval": approvals,
                    "queue": maybe(st.sampled_from(["automated", "approval", "gpu", ""])),
                    "timeout_s": maybe(st.floats(-1, 1e6)),
                    "retries": maybe(st.integers(-1, 12)),
                    "estimate_tokens": maybe(st.integers(-1, 10**10)),
                    "depend_on": junk,
                },
            )
        )
        gates.append(gate)
    document = draw(
        st.fixed_dictionaries(
            {"name": maybe(st.sampled_from(["wf", "", "bad name"])), "gates": maybe(st.just(gates))},
            optional={
                "budget": maybe(
                    st.fixed_dictionaries(
                        {},
                        optional={
                            "tokens": scalars,
                            "wall_s": scalars,
                            "max_parallel_gates": scalars,
                            "bogus": junk,
                        },
                    )
                ),
                "Gates": junk,
                "description": junk,
            },
        )
    )
    return draw(st.one_of(st.just(document), st.just(document), junk))


#: hand-written YAML oddities appended to (or replacing) generated documents
YAML_ODDITIES = (
    "\nloop: &loop [*loop]\n",  # a self-referencing alias (a cycle in the data)
    "\nself: &m {me: *m}\n",
    "\ngates: []\n",  # a duplicate top-level key
    "\nname: again\n",
    "\nx: !!python/object/apply:os.system ['touch pwned']\n",
    "\nx: !!int not-a-number\n",
    "\nx: !!timestamp 2020-99-99\n",
    "\nx: !!binary '!!!'\n",
    "\nx: !!float x\n",
    "\nx: !custom tag\n",
    "\n? [a, b]\n: complex key\n",
    "\n<<: {name: merged}\n",
    "\n<<: 1\n",
    "\n2020-01-01: a date key\n",
    "\n1: an int key\n",
    "\nnull: a null key\n",
    "\n--- \nsecond: document\n",
    "\n%YAML 2.0\n",
    "\n\t tab: indent\n",
    "\ufeff",
    "\x00",
    "\n...\n",
)


def to_yaml(document: Any) -> str:
    try:
        return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    except yaml.YAMLError:  # e.g. a key safe_dump cannot represent
        return repr(document)


@st.composite
def workflow_texts(draw: st.DrawFn) -> str:
    text = to_yaml(draw(workflow_dicts()))
    edit = draw(st.sampled_from(["none", "oddity", "oddity", "cut", "dup-line", "replace"]))
    if edit == "oddity":
        text += draw(st.sampled_from(YAML_ODDITIES))
    elif edit == "cut" and text:
        text = text[: draw(st.integers(0, len(text)))]
    elif edit == "dup-line":
        lines = text.splitlines()
        if lines:
            at = draw(st.integers(0, len(lines) - 1))
            lines.insert(at, lines[at])
        text = "\n".join(lines)
    elif edit == "replace" and text:
        at = draw(st.integers(0, len(text) - 1))
        text = text[:at] + draw(st.sampled_from(list(":-[]{}&*!|>'\"#%@`,? \t\n"))) + text[at + 1 :]
    return text


raw_texts = st.one_of(
    st.text(max_size=200),
    st.binary(max_size=200).map(lambda b: b.decode("utf-8", errors="replace")),
    st.sampled_from(YAML_ODDITIES),
)
