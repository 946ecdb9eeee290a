"""Commands that prepare the run's workspace before its checks (``environment.prepare``, tox's
``commands_pre``): humanize compiles its translations (``pybabel compile …``), without which 144
of its tests skip. They run once per workspace, in order, with the check's environment (a lock
and a record under ``.prp/cache/``, as for compiled extensions), never in a directory of the
user's. One that fails is said in the check's output and evidence; the check still runs, and its
own results show what the missing step costs."""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

from prp_tasks.environments.build import log_tail
from prp_tasks.processes.spawn import spawn, wait
from prp_tasks.workspaces.locks import locked


def prepare_workspace(
    workspace: Path,
    commands: tuple[tuple[str, ...], ...],
    env: dict[str, str],
    stop: threading.Event,
    timeout_s: float,
) -> dict[str, Any]:
    """Run ``commands`` in ``workspace`` unless an earlier check of the run did: what happened
    (``ok``, each command's ``exit_code``, the failing one's log tail, ``ran_by_this_check``)."""
    cache = workspace / ".prp" / "cache"
    cache.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(json.dumps(commands).encode()).hexdigest()[:16]
    record = cache / f"prepare-{digest}.json"
    with locked(cache / f"prepare-{digest}.lock"):
        if record.is_file():
            return {**json.loads(record.read_text()), "ran_by_this_check": False}
        done = _run_all(workspace, commands, env, stop, timeout_s, cache / f"prepare-{digest}.log")
        if done.get("ended") == "stopped":
            return done  # a cancelled run: recorded nowhere
        record.write_text(json.dumps(done))
    return {**done, "ran_by_this_check": True}


def _run_all(
    workspace: Path,
    commands: tuple[tuple[str, ...], ...],
    env: dict[str, str],
    stop: threading.Event,
    timeout_s: float,
    log: Path,
) -> dict[str, Any]:
    started, exits = time.monotonic(), list[int]()
    fd = os.open(log, os.O_WRONLY | os.O_TRUNC | os.O_CREAT, 0o600)
    try:
        for argv in commands:
            try:
                proc = spawn(list(argv), str(workspace), env, fd, fd)
            except OSError as exc:
                return _done(started, exits, log, failed=argv, error=f"cannot start: {exc.strerror or exc}")
            ended = wait(proc, max(1.0, timeout_s - (time.monotonic() - started)), stop)
            exits.append(proc.returncode)
            if ended != "exited" or proc.returncode != 0:
                return _done(started, exits, log, failed=argv, ended=ended)
    finally:
        os.close(fd)
    return _done(started, exits, log)


def _done(started: float, exits: list[int], log: Path, **failure: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ok": not failure,
        "exit_codes": exits,
        "duration_ms": int((time.monotonic() - started) * 1000),
    }
    if failure:
        failure["failed"] = list(failure["failed"])
        out |= failure | {"log_tail": log_tail(log, 3000)}
    return out


def note(done: dict[str, Any]) -> str:
    """The check's output line (when this check ran the commands, or they failed)."""
    seconds = int(done.get("duration_ms", 0)) / 1000
    if done.get("ok"):
        count = len(done.get("exit_codes") or ())
        return f"prepare: {count} command(s) ran in {seconds:.1f}s" if done.get("ran_by_this_check") else ""
    what = " ".join(done.get("failed") or ())
    why = done.get("error") or f"{done.get('ended')}, exit {(done.get('exit_codes') or [None])[-1]}"
    return f"prepare: `{what}` failed ({why}; see the evidence's log tail): the check ran without it"
