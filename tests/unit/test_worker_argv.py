"""The ``celery worker`` command line each queue class gets from its settings."""

from __future__ import annotations

import pytest

from prp_tasks.celeryapp.workers import worker_argv
from prp_tasks.errors import ConfigError
from prp_tasks.settings import load_settings


def options(argv: list[str]) -> dict[str, str]:
    pairs = argv[1:]
    return {
        pairs[i]: pairs[i + 1]
        for i in range(0, len(pairs) - 1)
        if pairs[i].startswith("--") and not pairs[i + 1].startswith("--")
    }


def test_the_automated_class_autoscales_between_the_spool_bounds() -> None:
    argv = options(worker_argv(load_settings(), ("automated",), hostname="a@h"))
    assert (argv["--concurrency"], argv["--autoscale"], argv["--pool"]) == ("1", "4,1", "prefork")
    assert argv["--queues"] == "prp.automated" and argv["--hostname"] == "a@h"


def test_an_explicit_concurrency_or_a_threads_pool_is_fixed() -> None:
    settings = load_settings(spool_concurrency=2, spool_max_concurrency=8)
    fixed = options(worker_argv(settings, ("automated",), concurrency=3))
    assert fixed["--concurrency"] == "3" and "--autoscale" not in fixed
    threads = options(worker_argv(settings, ("automated",), pool="threads"))
    assert threads["--concurrency"] == "8" and "--autoscale" not in threads  # threads cannot resize


def test_limits_and_prefetch_come_from_the_class() -> None:
    settings = load_settings(
        queues={"automated": {"max_tasks_per_child": 50, "time_limit_s": 900, "prefetch_multiplier": 2}}
    )
    argv = options(worker_argv(settings, ("automated",)))
    assert (argv["--max-tasks-per-child"], argv["--time-limit"], argv["--prefetch-multiplier"]) == (
        "50",
        "900",
        "2",
    )


def test_unknown_classes_are_refused() -> None:
    with pytest.raises(ConfigError, match="unknown queue class"):
        worker_argv(load_settings(), ("gpu",))
