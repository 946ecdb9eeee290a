"""The flows of ``test_lua_coverage.py``, run in a process of their own (an in-process worker and
the sweep, as ``prp run`` has them, must not share the test session's process and default app).

Usage: ``python -m tests.integration.lua_flows DIR``; prints the scripts that ran as one JSON line.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from prp_tasks.celeryapp.embedded import EmbeddedRedis, embedded_services
from prp_tasks.celeryapp.runtime import Runtime
from prp_tasks.core.models import GateStatus
from prp_tasks.core.run import RunStatus
from prp_tasks.intake.submission import prepare_run
from prp_tasks.intake.workflow_files import parse_workflow
from prp_tasks.settings import load_settings
from prp_tasks.state import lua
from tests.conftest import EMBEDDED_SERVER, wait_until

MAIN = """
name: lua-main
budget: {tokens: 100000, max_parallel_gates: 2, wall_s: 3600}
gates:
  - id: A
    estimate_tokens: 10
    checks:
      - {name: quick, run: ["true"]}
      - {name: slow, run: [python, -c, "import time; time.sleep(0.8)"]}
  - {id: P, depends_on: [A], checks: [{name: c, run: ["true"]}], approval: {role: maintainer}}
  - {id: Q, depends_on: [A], checks: [{name: c, run: ["true"]}], approval: {role: maintainer}}
  - {id: L, depends_on: [P], checks: [{name: c, run: [sleep, "1"]}], approval: {role: maintainer}}
"""

FAILING = """
name: lua-failing
gates:
  - id: T
    retries: 1
    checks:
      - {name: t, run: [sleep, "5"], timeout_s: 0.3, breaker: {name: lua-svc, threshold: 1, open_s: 30}}
  - {id: X, checks: [{name: c, run: ["true"]}], approval: {role: maintainer, timeout_s: 0.5}}
"""

WALL = """
name: lua-wall
budget: {wall_s: 0.5}
gates:
  - {id: W, checks: [{name: c, run: ["true"]}]}
  - {id: V, depends_on: [W], checks: [{name: c, run: ["true"]}]}
"""


def record_scripts() -> set[str]:
    """Every Lua script called from now on in this process (the worker's threads included)."""
    seen: set[str] = set()

    def recorded(original: Callable[..., Any]) -> Callable[..., Any]:
        def recording(self: lua.Lua, *args: Any, **kwargs: Any) -> Any:
            seen.add(self.name)
            return original(self, *args, **kwargs)

        return recording

    lua.Lua.__call__ = recorded(lua.Lua.__call__)  # type: ignore[method-assign]
    lua.Lua.then = recorded(lua.Lua.then)  # type: ignore[method-assign]
    return seen


def status(runtime: Runtime, run_id: str, gate: str) -> GateStatus | None:
    return runtime.control.store.gate_status(run_id, gate)


def flows(runtime: Runtime, repo: Path) -> None:
    control = runtime.control
    runtime.profiles.resolve(b"# profile\n```yaml\nproject: {kind: library}\n```\n", "initial.md")
    main = control.submit(prepare_run(repo, workflow=parse_workflow(MAIN)))
    # one run in flight: these two wait in the admission queue; the second one's wall-clock budget
    # runs out there, and the sweeper skips its gates
    failing = control.submit(prepare_run(repo, workflow=parse_workflow(FAILING)))
    wall = control.submit(prepare_run(repo, workflow=parse_workflow(WALL)))
    assert control.snapshot(failing).status == RunStatus.QUEUED
    wait_until(lambda: status(runtime, main, "P") == GateStatus.AWAITING_APPROVAL, timeout=30)
    control.decide(main, "L", actor="alice", approve=True)  # in advance: applies when L parks
    control.decide(main, "P", actor="alice", approve=True)
    wait_until(lambda: status(runtime, main, "Q") == GateStatus.AWAITING_APPROVAL, timeout=30)
    control.decide(main, "Q", actor="alice", approve=True)
    assert control.wait_final(main, 60)
    assert control.snapshot(main).status == RunStatus.PASSED
    assert control.rerun(main, "Q", force=True, actor="alice") == ["Q"]
    wait_until(lambda: status(runtime, main, "Q") == GateStatus.AWAITING_APPROVAL, timeout=30)
    assert control.cancel(main, actor="alice")
    assert control.wait_final(main, 60)
    assert control.wait_final(failing, 60)  # admitted once the first run left
    gates = control.snapshot(failing).gates
    seen = {g: v.status.value for g, v in gates.items()}
    assert gates["T"].status == GateStatus.FAILED and gates["X"].status == GateStatus.FAILED, seen
    assert control.wait_final(wall, 60)
    assert {g.status for g in control.snapshot(wall).gates.values()} == {GateStatus.SKIPPED}
    time.sleep(0.5)  # one more sweep: the sweeper's lease, batches, repair


def main(directory: Path) -> None:
    seen = record_scripts()
    with EmbeddedRedis(directory / "redis", server=EMBEDDED_SERVER) as server:
        settings = load_settings(
            redis_url=server.url,
            key_prefix="luacov",
            task_events=False,
            check_lease_s=0.6,
            max_runs_in_flight=1,
            sweep_interval_s=0.2,
            approval_batch_window_s=0.2,
        )
        runtime = Runtime(settings)
        with embedded_services(runtime):
            flows(runtime, directory)
    print(json.dumps(sorted(seen)))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
