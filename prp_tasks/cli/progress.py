"""Run progress for people: a live per-gate table on a terminal (rich), and one plain line per
state change anywhere else (a file, a pipe, CI logs), printed from the run's ordered event log."""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.text import Text

from prp_tasks.cli.quiet import QUIET_S, still_running
from prp_tasks.cli.tables import (
    gate_label,
    gate_table,
    human_duration,
    skipped_checks,
    work_ms,
)
from prp_tasks.core.approvals import AuditEvent, AuditType
from prp_tasks.core.evaluate import elapsed_ms, parse_ts, utc_now
from prp_tasks.core.models import CheckStatus
from prp_tasks.core.render.review import required_checks
from prp_tasks.core.results import CheckResult, EvidenceType
from prp_tasks.core.snapshot import GateEvent, RunSnapshot
from prp_tasks.core.text import clip, first_lines
from prp_tasks.service.control import Control
from prp_tasks.service.views import run_view

#: seconds between polls of the plain follower: short after a change, growing to the upper bound
PLAIN_POLL_S = (0.1, 1.0)
#: a check that ran this long (ms) gets a line when it ends: a gate's long work shows as it goes
#: (a failed check gets one whatever its time: the gate's line names it, and this says why)
CHECK_LINE_MS = 1000
#: how much of a check's output summary its line repeats (the counts and the coverage totals fit);
#: a failed check's twice as much: the failing test and why (soupsieve's was cut to "failing: …")
CHECK_SUMMARY_CHARS = 160
#: the tool and Python a head line names (``exit 0 in 2.28s (pytest 9.2.0, Python 3.11.7)``): left
#: to the reports, so the line has room for the facts
_RAN = re.compile(r"^(exit -?\d+ in [\d.]+s) \([^()]*Python [\d.]+\)")


def approve_command(run_id: str, gate_id: str, redis_url: str | None) -> str:
    """The command that approves a parked gate (with the server's URL when one is given)."""
    env = f"PRP_REDIS_URL={redis_url} " if redis_url else ""
    return f"{env}prp approve {run_id} {gate_id} --as <you>"


def approval_hint(view: dict[str, Any], redis_url: str | None) -> Text | None:
    waiting = [g for g in view["gates"] if g["status"] == "awaiting_approval"]
    if not waiting:
        return None
    lines = [
        f"{approve_command(view['run_id'], g['id'], redis_url)}   # {g['approval_role']}" for g in waiting
    ]
    return Text("Waiting for approval; in another terminal run:\n  " + "\n  ".join(lines), style="yellow")


# plain lines (no terminal) ---------------------------------------------------------------------


@dataclass
class PlainCursor:
    """How much of a run's logs the plain follower has printed."""

    events: int = 0
    audit: int = 0
    header: bool = False
    finished: bool = False
    #: (gate, check, finished_at) of the check results looked at (a re-run's are new)
    checks: set[tuple[str, str, str]] = field(default_factory=set)
    #: when the last line was printed ('' none yet)
    said_at: str = ""


@dataclass(frozen=True)
class CheckDone:
    """A long check that ended (a line of its own, before its gate's)."""

    gate_id: str
    result: CheckResult


def plain_lines(
    snapshot: RunSnapshot,
    cursor: PlainCursor,
    *,
    redis_url: str | None = None,
    now: str | None = None,
    final: bool = False,
) -> list[str]:
    """One line per state change since ``cursor`` (which advances), in the order they happened.

    From the run's gate event log (start, settle) and audit trail (a gate parked, the run was
    cancelled), never from diffing states, so a gate that starts and settles between two polls
    still gets both lines. ``final``: end with the run's outcome (once).
    """
    view = run_view(snapshot, now=now).model_dump(mode="json")
    gates = {g["id"]: g for g in view["gates"]}
    lines = []
    if not cursor.header:
        cursor.header = True
        queued = ", queued (waiting for admission)" if view["status"] == "queued" else ""
        lines.append(f"run {view['run_id']}: workflow {view['workflow']}, {len(gates)} gates{queued}")
    for entry in _new_entries(snapshot, cursor):
        line = _entry_line(entry, view["run_id"], gates, redis_url)
        if line:
            lines.append(line)
    if final and not cursor.finished:
        cursor.finished = True
        lines.append(finish_line(view))
    now = now or utc_now()
    if not lines and cursor.said_at and elapsed_ms(cursor.said_at, now) >= QUIET_S * 1000:
        lines = still_running(view, snapshot, now)  # (a long check's run is no stuck one)
    cursor.said_at = now if lines else cursor.said_at
    return lines


Entry = GateEvent | AuditEvent | CheckDone


def _new_entries(snapshot: RunSnapshot, cursor: PlainCursor) -> list[Entry]:
    """Gate events, the audit records that change a state and the long checks that ended, not
    printed yet, oldest first (on equal times the audit record first: a gate parks, or a run is
    cancelled, before it settles; then a check, before its gate settles)."""
    keyed: list[tuple[Any, int, int, Entry]] = [
        (parse_ts(e.timestamp), 2, i, e) for i, e in enumerate(snapshot.events[cursor.events :])
    ]
    keyed += [
        (parse_ts(a.at), 0, i, a)
        for i, a in enumerate(snapshot.audit[cursor.audit :])
        if a.type in (AuditType.REQUESTED, AuditType.CANCELLED)
    ]
    ended = _ended_checks(snapshot, cursor)
    keyed += [(parse_ts(c.result.finished_at or ""), 1, i, c) for i, c in enumerate(ended)]
    cursor.events, cursor.audit = len(snapshot.events), len(snapshot.audit)
    return [entry for *_, entry in sorted(keyed, key=lambda k: k[:3])]


def _ended_checks(snapshot: RunSnapshot, cursor: PlainCursor) -> list[CheckDone]:
    ended = []
    required = _profile_checks(snapshot)
    for gate_id, view in snapshot.gates.items():
        for result in view.checks.values():
            seen = (gate_id, result.name, result.finished_at or "")
            if result.finished_at and seen not in cursor.checks:
                cursor.checks.add(seen)
                if result.duration >= CHECK_LINE_MS or _said_anyway(result, required):
                    ended.append(CheckDone(gate_id, result))
    return ended


def _profile_checks(snapshot: RunSnapshot) -> frozenset[str]:
    """The profile's required checks and the ``run-*`` checks of its commands (lint, format …)."""
    profile = snapshot.spec.profile.profile
    return required_checks(profile) | {f"run-{name}" for name in profile.governance.commands}


def _said_anyway(result: CheckResult, required: frozenset[str]) -> bool:
    """A quick check gets its line too when it failed, ran tests, or is one of the profile's
    checks (:func:`_profile_checks`): their counts are the run's main facts (fire: a run-test of
    0.6 s that ran 5 of the project's 261 tests said no count on the terminal, only "G3 Code
    Review: passed"; yaspin's run-lint of 0.4 s had no line when one of 2.3 s had)."""
    if result.status == CheckStatus.FAIL or result.name in required:
        return True
    return any(e.type == EvidenceType.TEST for e in result.evidence)


#: the environment note of a check that built its environment, or waited for another check's build
#: of it (:func:`prp_tasks.environments.resolve.note`)
_BUILT = re.compile(r"^environment: (built in|waited) (\d+(?:\.\d+)?)s\b", re.M)


def check_line(gate: dict[str, Any], result: CheckResult) -> str:
    """``G3 Code Review › run-test: passed in 5.9 s: exit 0 in 5.92s; 24 tests ran: OK`` (the first
    two lines of its output, as prp.md's evidence summary)."""
    status = {"pass": "passed", "fail": "failed", "skip": "skipped"}.get(result.status.value, result.status)
    line = f"{gate_label(gate)} › {result.name}: {status} in {human_duration(result.duration)}"
    line += _environment_time(result.output)
    said = _RAN.sub(r"\1", first_lines(result.output, 2))
    limit = CHECK_SUMMARY_CHARS * (2 if result.status == CheckStatus.FAIL else 1)
    summary = clip(said, limit)  # at a space, never in a path
    return f"{line}: {summary}" if summary else line


def _environment_time(output: str) -> str:
    """What the rest of a check's time went to (cachelib's lint: 1 min 53 s, its command 0.10s;
    its tests, 1 min 01 s for 1.39 s of tests: they waited for the lint's build; lz4's tests, their
    C extensions' build in the workspace)."""
    said = []
    if built := _BUILT.search(output):
        waited = built[1] == "waited"
        said.append(
            f"{built[2]} s of it waiting for its environment's build"
            if waited
            else f"its environment built in {built[2]} s"
        )
    if made := _EXTENSIONS.search(output):
        waited = made[1] == "waited"
        said.append(
            f"{made[2]} s waiting for its extensions' build"
            if waited
            else f"its extensions built in {made[2]} s"
        )
    return f" ({'; '.join(said)})" if said else ""


#: the extensions note of a check that built the project's extensions, or waited for another
#: check's build of them (:func:`prp_tasks.environments.extensions.note`)
_EXTENSIONS = re.compile(r"^extensions: (built in place in|waited) (\d+(?:\.\d+)?)s\b", re.M)


def _entry_line(entry: Entry, run_id: str, gates: dict[str, Any], redis_url: str | None) -> str | None:
    if isinstance(entry, CheckDone):
        done = gates.get(entry.gate_id)
        return check_line(done, entry.result) if done is not None else None
    if isinstance(entry, AuditEvent):
        if entry.type == AuditType.CANCELLED:
            return f"run {run_id}: cancelled" + (f" by {entry.actor}" if entry.actor else "")
        gate = gates.get(entry.gate_id or "")
        if gate is None:
            return None
        line = f"{gate_label(gate)}: awaiting approval ({entry.role or gate['approval_role']})"
        if gate["status"] == "awaiting_approval":
            line += f"; to approve: {approve_command(run_id, gate['id'], redis_url)}"
        return line
    gate = gates.get(entry.gate_id)
    if gate is None:
        return None
    if entry.type == "start":
        return f"{gate_label(gate)}: started"
    return settle_line(gate, entry.status or gate["status"], entry.message)


def settle_line(gate: dict[str, Any], status: str, message: str | None = None) -> str:
    """``G1 Architecture: failed in 0.3 s (checks 1/3): checks failed: lint``, ``G2 Test Plan: passed
    in 36 ms (checks 1/3, 2 skipped)`` and the like (skipped checks are not failures)."""
    label = gate_label(gate)
    if status == "skipped":
        return f"{label}: skipped: {message or gate['reason'] or 'not run'}"
    if gate["status"] != status:  # re-run since: only what the event says
        return f"{label}: {status}"
    line = f"{label}: {status} in {human_duration(work_ms(gate))}"
    if gate["checks_total"]:
        skipped = skipped_checks(gate)
        more = f", {skipped} skipped" if skipped else ""
        if skipped == gate["checks_total"] and status == "passed":  # (a library's G2: no targets)
            more = f", all {skipped} skipped: nothing verified"
        line += f" (checks {gate['checks_passed']}/{gate['checks_total']}{more})"
    waited = gate.get("waited_ms")
    after = f" after {human_duration(waited)}" if waited else ""
    approval = gate["approval"]
    if status == "failed":
        return line + f": {gate['reason'] or 'failed'}{after}"
    if approval and approval["channel"] == "auto" and not waited:
        return line + "; auto-approved"
    if approval:
        role = f" ({approval['role']})" if approval["role"] else ""
        return line + f"; {approval['decision']} by {approval['actor']}{role}{after}"
    return line


def finish_line(view: dict[str, Any]) -> str:
    """``run RUN finished: passed in 12.3 s (6 passed, 1 failed, 1 skipped)``."""
    counts = Counter(g["status"] for g in view["gates"])
    summary = ", ".join(f"{counts[s]} {s}" for s in ("passed", "failed", "skipped") if counts[s])
    took = ""
    if view["finished_at"]:
        took = f" in {human_duration(elapsed_ms(view['created_at'], view['finished_at']))}"
    return f"run {view['run_id']} finished: {view['status']}{took}" + (f" ({summary})" if summary else "")


# following a run ------------------------------------------------------------------------------


def follow(
    control: Control,
    run_id: str,
    console: Console,
    *,
    live: bool,
    timeout_s: float | None = None,
    redis_url: str | None = None,
    on_tick: Callable[[], None] | None = None,
) -> bool:
    """Show progress until the run is final; False if ``timeout_s`` passed first.

    ``live``: a rich table redrawn in place (a terminal); otherwise one line per state change,
    written and flushed as it happens (never a rich frame, never wrapped).
    """
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    if live:
        return _follow_live(control, run_id, console, deadline, redis_url, on_tick)
    return _follow_plain(control, run_id, _line_writer(console), deadline, redis_url, on_tick)


def _follow_live(
    control: Control,
    run_id: str,
    console: Console,
    deadline: float | None,
    redis_url: str | None,
    on_tick: Callable[[], None] | None,
) -> bool:
    def render() -> Group:
        view = run_view(control.snapshot(run_id), now=utc_now()).model_dump(mode="json")
        hint = approval_hint(view, redis_url)
        return Group(gate_table(view, console.width), *([hint] if hint else []))

    with Live(
        render(), console=console, refresh_per_second=8, transient=False, auto_refresh=False
    ) as display:
        while not control.is_final(run_id):
            if deadline is not None and time.monotonic() >= deadline:
                return False
            if on_tick:
                on_tick()
            display.update(render(), refresh=True)
            time.sleep(0.1)
        display.update(render(), refresh=True)
    for line in final_check_lines(control.snapshot(run_id)):  # the table says only their names
        console.print(Text(line))
    return True


def final_check_lines(snapshot: RunSnapshot) -> list[str]:
    """A :func:`check_line` per failed check, per check that ran tests and per check of the profile, in
    workflow order: what a terminal shows below the table once the run is final (the plain lines
    said each as it ended)."""
    gates = {g["id"]: g for g in run_view(snapshot, now=utc_now()).model_dump(mode="json")["gates"]}
    required = _profile_checks(snapshot)
    return [
        check_line(gates[gate_id], result)
        for gate_id, view in snapshot.gates.items()
        for result in view.checks.values()
        if _said_anyway(result, required) and gate_id in gates
    ]


def final_lines(view: dict[str, Any]) -> list[str]:
    """A final run's state as the plain lines say it (each gate's settle line, the failed checks'
    lines, the finish line): what a Ctrl-C as the run ended kept following from printing, for an
    output that is not a terminal (Send2Trash's piped run had printed a box table there)."""
    lines = [settle_line(g, g["status"]) for g in view["gates"]]
    return [*lines, *failed_view_lines(view), finish_line(view)]


def failed_view_lines(view: dict[str, Any]) -> list[str]:
    """The failed checks' :func:`check_line` of a run's view (``prp status``: a live run or a finished one's
    record, whose checks carry their name, status, time and output)."""
    lines = []
    for gate in view["gates"]:
        for check in gate.get("checks") or ():
            if check.get("status") == CheckStatus.FAIL.value:
                result = CheckResult(
                    name=check["name"],
                    status=CheckStatus.FAIL,
                    output=check.get("output") or "",
                    duration=int(check.get("duration_ms") or 0),
                )
                lines.append(check_line(gate, result))
    return lines


def _follow_plain(
    control: Control,
    run_id: str,
    write: Callable[[str], None],
    deadline: float | None,
    redis_url: str | None,
    on_tick: Callable[[], None] | None,
) -> bool:
    cursor = PlainCursor()
    pause = PLAIN_POLL_S[0]
    while True:
        final = control.is_final(run_id)  # before the snapshot: a final run's snapshot is complete
        lines = plain_lines(control.snapshot(run_id), cursor, redis_url=redis_url, now=utc_now(), final=final)
        for line in lines:
            write(line)
        if final:
            return True
        if deadline is not None and time.monotonic() >= deadline:
            return False
        if on_tick:
            on_tick()
        pause = PLAIN_POLL_S[0] if lines else min(PLAIN_POLL_S[1], pause * 1.5)
        time.sleep(min(pause, max(0.0, deadline - time.monotonic())) if deadline is not None else pause)


def _line_writer(console: Console) -> Callable[[str], None]:
    """Plain text straight to the console's file, flushed per line (a pipe sees it at once)."""

    def write(line: str) -> None:
        console.file.write(line + "\n")
        console.file.flush()

    return write
