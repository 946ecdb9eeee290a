"""Test-only: make a worker die at the instant a settle lands in Redis.

Put this directory on a worker's PYTHONPATH and set ``PRPTEST_DIE_AT=child|whole`` and
``PRPTEST_DIE_P`` (probability per settle, default 0.3): right after a settle script commits
(claim + settle, settle, a decision), the process exits at once (``child``: the pool process, as
the OOM killer would; ``whole``: SIGKILL to the whole worker, its process group). Nothing after
the script runs: no follow-up work, no acknowledgement. ``PRPTEST_SEED`` makes it repeatable;
each death appends a line to ``PRPTEST_DIE_LOG`` (if set).
"""

from __future__ import annotations

import os
import random
import signal

_MODE = os.environ.get("PRPTEST_DIE_AT")


def _install() -> None:
    from prp_tasks.state.approvals import ApprovalStore
    from prp_tasks.state.checks import CheckStore
    from prp_tasks.state.runs import RunStore

    seed = os.environ.get("PRPTEST_SEED", "0")
    chance = float(os.environ.get("PRPTEST_DIE_P", "0.3"))
    # one sequence per process, made in that process: pool processes forked from one parent must
    # not all draw the parent's sequence (a few settles each, they would all survive together)
    rngs: dict[int, random.Random] = {}

    def draw() -> float:
        pid = os.getpid()
        rng = rngs.get(pid)
        if rng is None:
            rng = rngs[pid] = random.Random(f"{seed}-{pid}")
        return rng.random()

    def die() -> None:
        log = os.environ.get("PRPTEST_DIE_LOG")
        if log:
            with open(log, "a") as out:
                out.write(f"{os.getpid()}\n")
        if _MODE == "whole":
            os.killpg(os.getpgid(0), signal.SIGKILL)
        os._exit(137)

    def wrap(owner: type, name: str) -> None:
        original = getattr(owner, name)

        def wrapped(*args: object, **kwargs: object) -> object:
            reply = original(*args, **kwargs)
            if draw() < chance:
                die()
            return reply

        setattr(owner, name, wrapped)

    for owner, name in ((RunStore, "settle"), (CheckStore, "record_and_settle"), (ApprovalStore, "decide")):
        wrap(owner, name)


if _MODE in ("child", "whole"):
    _install()
