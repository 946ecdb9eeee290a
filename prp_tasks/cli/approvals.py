"""``prp approve``, ``reject``, ``approvals``, ``audit``: human decisions and their trail."""

from __future__ import annotations

from typing import Annotated

import typer

from prp_tasks.cli.common import (
    EXIT_REFUSED,
    all_controls,
    app,
    control_for,
    err,
    errors,
    out,
    print_json,
    settings,
)
from prp_tasks.cli.inspection import RepoOption, find_run
from prp_tasks.core.approvals import AuditEvent, DecisionResult
from prp_tasks.errors import InputError


def _decide(
    targets: list[str],
    *,
    actor: str,
    approve: bool,
    rationale: str,
    all_pending: bool,
    include_upcoming: bool,
    commit: str | None,
) -> None:
    with errors():
        actor = decider(actor)
        if all_pending or include_upcoming:
            results = _decide_many(targets, actor, approve, rationale, include_upcoming)
        else:
            if len(targets) != 2:
                raise InputError("give RUN and GATE (or RUN... with --all-pending)")
            run_id, gate = targets
            results = [
                control_for(run_id).decide(
                    run_id,
                    gate,
                    actor=actor,
                    approve=approve,
                    rationale=rationale,
                    commit_sha=commit,
                )
            ]
    for result in results:
        out.print(f"{result.run_id} {result.describe()}", highlight=False)
    if any(r.outcome.startswith("refused") for r in results):
        raise typer.Exit(EXIT_REFUSED)


def decider(given: str) -> str:
    """Who decides: ``--as``, else the configured ``PRP_ACTOR`` (said on stderr), else refused."""
    if given:
        return given
    configured = settings().actor
    if configured is None:
        raise InputError(
            "who decides? give --as NAME, or set PRP_ACTOR=NAME for every decision from this shell"
        )
    err.print(f"deciding as {configured} (from PRP_ACTOR)", highlight=False, markup=False)
    return configured


def _decide_many(
    run_ids: list[str], actor: str, approve: bool, rationale: str, include_upcoming: bool
) -> list[DecisionResult]:
    results: list[DecisionResult] = []
    controls = [control_for(r) for r in run_ids[:1]] if run_ids else all_controls()
    for control in controls:
        results += control.decide_all(
            run_ids, actor=actor, approve=approve, rationale=rationale, include_upcoming=include_upcoming
        )
    if not results:
        out.print("nothing to decide: no parked gate that your roles cover")
    return results


@app.command()
def approve(
    targets: Annotated[
        list[str],
        typer.Argument(
            metavar="RUN [GATE]", help="RUN GATE, or RUN... with --all-pending", show_default=False
        ),
    ] = [],  # noqa: B006
    actor: Annotated[str, typer.Option("--as", metavar="NAME", help="who decides (default: PRP_ACTOR)")] = "",
    reject: Annotated[bool, typer.Option("--reject", help="reject instead of approving")] = False,
    rationale: Annotated[str, typer.Option(metavar="TEXT", help="why")] = "",
    all_pending: Annotated[
        bool, typer.Option("--all-pending", help="every parked gate your roles cover")
    ] = False,
    include_upcoming: Annotated[
        bool, typer.Option("--include-upcoming", help="also pre-approve gates not parked yet")
    ] = False,
    commit: Annotated[
        str | None, typer.Option(metavar="SHA", help="refuse unless the run is at this commit")
    ] = None,
) -> None:
    """Approve (or with --reject, reject) a parked gate; a gate not parked yet is pre-approved.

    With --all-pending: every parked gate of the given runs (all runs if none) that your roles cover.
    """
    _decide(
        targets,
        actor=actor,
        approve=not reject,
        rationale=rationale,
        all_pending=all_pending,
        include_upcoming=include_upcoming,
        commit=commit,
    )


@app.command()
def reject(
    targets: Annotated[
        list[str],
        typer.Argument(
            metavar="RUN [GATE]", help="RUN GATE, or RUN... with --all-pending", show_default=False
        ),
    ] = [],  # noqa: B006
    actor: Annotated[str, typer.Option("--as", metavar="NAME", help="who decides (default: PRP_ACTOR)")] = "",
    rationale: Annotated[str, typer.Option(metavar="TEXT", help="why")] = "",
    all_pending: Annotated[
        bool, typer.Option("--all-pending", help="every parked gate your roles cover")
    ] = False,
    commit: Annotated[
        str | None, typer.Option(metavar="SHA", help="refuse unless the run is at this commit")
    ] = None,
) -> None:
    """Reject a parked gate (one rejection rejects, whatever the quorum)."""
    _decide(
        targets,
        actor=actor,
        approve=False,
        rationale=rationale,
        all_pending=all_pending,
        include_upcoming=False,
        commit=commit,
    )


@app.command()
def approvals(
    role: Annotated[
        str | None, typer.Option(metavar="ROLE", help="only requests this role may decide")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Parked gates across runs, oldest first, with age and deadline."""
    with errors():
        rows = [p for c in all_controls() for p in c.pending_approvals(role)]
    rows.sort(key=lambda p: p.requested_at)
    if json_out:
        print_json([p.to_dict() for p in rows])
        return
    if not rows:
        out.print("no parked gates")
    for p in rows:
        out.print(
            f"{p.run_id} {p.gate_id:<4} {p.role:<16} waiting {p.age_s:>8.1f}s  "
            f"deadline {p.deadline} ({p.seconds_left:.0f}s left)  "
            f"votes {p.votes}/{p.quorum}  batch {p.batch_id}",
            highlight=False,
        )


@app.command()
def audit(
    run_id: Annotated[str, typer.Argument(metavar="RUN", help="run id")],
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    repo: RepoOption = None,
) -> None:
    """The run's append-only audit trail: requests, batches, decisions, refusals, expiries (of a
    live run, or of a finished one's record)."""
    with errors():
        found = find_run(run_id, repo)
        if found.control is not None:
            events = found.control.audit(run_id)
        else:
            assert found.record is not None
            events = [AuditEvent.model_validate(e) for e in found.record.audit()]
    if json_out:
        print_json([e.model_dump(mode="json", exclude_none=True) for e in events])
        return
    for e in events:
        who = f" {e.actor}" + (f" ({e.role})" if e.role else "") if e.actor else ""
        what = f" {e.decision}" if e.decision else ""
        why = f": {e.reason or e.rationale}" if (e.reason or e.rationale) else ""
        batch = f" [batch {e.batch_id}]" if e.batch_id else ""
        out.print(f"{e.at} {e.type.value:<20} {e.gate_id or '-':<4}{who}{what}{batch}{why}", highlight=False)
