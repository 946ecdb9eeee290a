"""``prp run``: submit a run, follow it to its end (or cancel it), write its outputs and record."""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from prp_tasks.cli.common import app, err, errors, out, print_json, settings
from prp_tasks.cli.interrupts import Interrupts
from prp_tasks.core.run import RunSpec, caller_trace
from prp_tasks.core.snapshot import RunSnapshot
from prp_tasks.errors import ConflictError, RunNotFound
from prp_tasks.intake.sources import RunSource
from prp_tasks.intake.submission import prepare_run
from prp_tasks.service.control import Control
from prp_tasks.service.records import write_record
from prp_tasks.service.views import EXIT_CANCELLED, exit_code, run_view
from prp_tasks.settings import Settings

#: a Ctrl-C before the run was submitted (128 + SIGINT, as ``prp_tasks.__main__`` exits while loading)
EXIT_INTERRUPTED = 130

EXIT_CODES = """Exit codes: 0 every gate passed; 1 a gate failed or was rejected; 2 bad input (workflow,
profile, blueprint, settings, a server below the supported floor); 3 cancelled (Ctrl-C, --timeout,
`prp cancel`) or an approval expired; 130 a Ctrl-C while prp was still starting, before any run was
submitted (one line: "error: interrupted while starting"); 70 a bug of prp's own (one line: "error:
internal error (…)", saying where); any other code: prp itself failed."""


RepoArg = Annotated[Path | None, typer.Argument(help="repository to check (default: .)")]
BlueprintOption = Annotated[Path | None, typer.Option(metavar="FILE", help="blueprint YAML/JSON file")]
WorkflowOption = Annotated[
    Path | None, typer.Option("--workflow", "-w", metavar="FILE", help="workflow YAML file")
]
ProfileOption = Annotated[
    Path | None, typer.Option(metavar="FILE", help="initial.md to use instead of the lookup")
]
OutOption = Annotated[Path | None, typer.Option("--out", metavar="DIR", help="output directory")]
JsonFlag = Annotated[bool, typer.Option("--json", help="print the final run as JSON")]
AutoApproveFlag = Annotated[bool, typer.Option("--auto-approve", help="approve parked gates automatically")]
StrictFlag = Annotated[bool, typer.Option("--strict", help="strict mode (no implicit auto-approval)")]
ActorOption = Annotated[
    str, typer.Option("--as", metavar="NAME", help="who requests the run (default: the OS user)")
]
TimeoutOption = Annotated[
    float | None, typer.Option(metavar="SECONDS", help="cancel the run after this many seconds")
]
DistributedFlag = Annotated[
    bool, typer.Option("--distributed", help="workers fetch origin at HEAD (any machine; clean, pushed tree)")
]
GitOption = Annotated[
    str | None, typer.Option("--git", metavar="URL", help="run on this git remote instead of a path")
]
CommitOption = Annotated[str | None, typer.Option(metavar="SHA", help="with --git: the full commit SHA")]


@app.command(epilog=EXIT_CODES)
def run(
    repo: RepoArg = None,
    workflow: WorkflowOption = None,
    blueprint: BlueprintOption = None,
    profile: ProfileOption = None,
    out_dir: OutOption = None,
    json_out: JsonFlag = False,
    auto_approve: AutoApproveFlag = False,
    strict: StrictFlag = False,
    actor: ActorOption = "",
    timeout: TimeoutOption = None,
    distributed: DistributedFlag = False,
    git: GitOption = None,
    commit: CommitOption = None,
) -> None:
    """Run a PRP workflow on REPO and write prp.md, review.json and run-manifest.json.

    Ctrl-C cancels the run (running checks are stopped), writes the cancelled run's outputs and
    exits 3; a second Ctrl-C stops waiting for that. With TRACEPARENT set (W3C trace context, as
    OpenTelemetry passes it to a child process), the run's trace links to that span.
    """
    with Interrupts() as interrupts:
        try:
            with errors():
                current = settings()
                source = RunSource(
                    distributed=distributed, git_url=git, commit=commit, workspaces=current.workspace
                )
                files = (workflow, blueprint, profile)
                where = repo if repo is not None or git else Path(".")
                spec = _spec(where, source, files, actor, (strict, auto_approve))
                home = out_dir or _home(spec) / "runs" / spec.run_id
                code = _follow(current, Following(spec, home, json_out, timeout, interrupts))
        except KeyboardInterrupt:  # before the run was submitted (after it, the run is cancelled and
            # a Ctrl-C only stops the waiting): nothing to cancel, no run, as the exit codes say (a
            # Ctrl-C while the embedded server started had said "interrupted" and exit 3, "cancelled")
            err.print("error: interrupted while starting", highlight=False)
            code = EXIT_INTERRUPTED
    raise typer.Exit(code)


def _spec(
    repo: Path | None, source: RunSource, files: tuple[Path | None, ...], actor: str, flags: tuple[bool, bool]
) -> RunSpec:
    """The run's spec from its ``files`` (workflow, blueprint, profile: the profile is required)
    and ``flags`` (strict, auto-approve); its trace links to ``TRACEPARENT``'s span, if set."""
    (workflow, blueprint, profile), (strict, auto_approve) = files, flags
    spec = prepare_run(
        repo,
        source=source,
        workflow=workflow,
        blueprint=blueprint,
        profile_path=profile,
        actor=actor or getpass.getuser(),
        strict=strict,
        auto_approve=auto_approve,
        require_profile=True,
    )
    return spec.model_copy(update={"caller_trace": caller_trace(os.environ.get("TRACEPARENT"))})


def _follow(current: Settings, following: Following) -> int:
    """Drive the run on this process's private server (embedded mode) or the configured one."""
    if current.embedded:
        return _run_embedded(current, following)
    return following.drive(shared_control(current), None)


def _home(spec: RunSpec) -> Path:
    """``.prp`` of the local checkout (of the current directory for a git-only source), ignored
    by git (its runs' outputs and records must not show up as untracked files)."""
    home = Path(spec.repo.path or ".").resolve() / ".prp"
    with contextlib.suppress(OSError):
        home.mkdir(parents=True, exist_ok=True)
        ignore = home / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n")
    return home


def shared_control(current: Settings) -> Control:
    from prp_tasks.celeryapp.runtime import Runtime

    return Runtime(current).control


def _run_embedded(current: Settings, follow: Following) -> int:
    from prp_tasks.celeryapp.embedded import private_run

    with private_run(current, _home(follow.spec), follow.spec.run_id) as (server, runtime):
        return follow.drive(runtime.control, server.url)


@dataclass
class Following:
    """Submit a run, follow it to the end (cancelling it on timeout or Ctrl-C), record it."""

    spec: RunSpec
    target: Path
    json_out: bool
    timeout: float | None
    interrupts: Interrupts

    def drive(self, control: Control, hint_url: str | None) -> int:
        run_id = self.spec.run_id
        try:
            control.submit(self.spec)
            cause = None if self._follow(control, hint_url) else "timeout"
            self.interrupts.calm()  # the run ended: a Ctrl-C now must not cut the outputs short
        except KeyboardInterrupt:
            cause = "interrupt"
        if cause is not None:
            self._cancel(control, cause)
        return self._finish(control, run_id, cancelled=cause is not None)

    def _follow(self, control: Control, hint_url: str | None) -> bool:
        """Wait for the run to be final; False when ``timeout`` passed first."""
        from prp_tasks.cli.progress import follow

        if self.json_out:
            return control.wait_final(self.spec.run_id, self.timeout)
        return follow(
            control, self.spec.run_id, out, live=out.is_terminal, timeout_s=self.timeout, redis_url=hint_url
        )

    def _cancel(self, control: Control, cause: str) -> None:
        """Cancel durably (running checks are stopped) and wait for the cancelled run's outputs,
        until a further Ctrl-C says not to."""
        self.interrupts.calm()
        run_id = self.spec.run_id
        if cause == "interrupt":
            err.print(f"interrupted: cancelling {run_id} (Ctrl-C again to stop waiting)", highlight=False)
        else:
            err.print(f"--timeout: cancelling {run_id}", highlight=False)
        try:
            changed = control.cancel(run_id, cause)
        except RunNotFound:  # not created yet: nothing ran
            changed = True
        except ConflictError:  # finished meanwhile
            changed = False
        if not changed:  # its outcome was settled first (G3 failing as Ctrl-C came): said as it is
            said = f"{run_id} had already ended (or been cancelled): nothing left to cancel"
            err.print(said, highlight=False)
        deadline = time.monotonic() + 30
        while not self.interrupts.abandoned.is_set() and time.monotonic() < deadline:
            with contextlib.suppress(RunNotFound):
                if control.is_final(run_id):
                    return
            time.sleep(0.05)

    def _finish(self, control: Control, run_id: str, *, cancelled: bool) -> int:
        """Write the outputs and the run's record; report; the exit code."""
        try:
            snapshot = control.snapshot(run_id)
        except RunNotFound:
            return EXIT_CANCELLED
        code = EXIT_CANCELLED if cancelled and not _passed_or_failed(snapshot) else exit_code(snapshot)
        final = control.is_final(run_id)
        written = control.write_outputs(run_id, self.target) if final else {}
        view = run_view(snapshot).model_dump(mode="json")
        if final:  # the finished run's view lists what it produced, as `prp status` does
            view |= control.get_run(run_id).model_dump(mode="json", include={"files", "documents"})
            audit = [e.model_dump(mode="json", exclude_none=True) for e in control.audit(run_id)]
            evidence = [e.model_dump(mode="json", exclude_none=True) for e in snapshot.evidence()]
            write_record(_home(self.spec) / "runs" / run_id, view, audit, self.target, evidence)
        if self.json_out:
            print_json({**view, "exit_code": code, "out_dir": str(self.target), "outputs": written})
        elif final:
            if cancelled and _passed_or_failed(snapshot):  # Ctrl-C as it ended: what following missed
                _print_final(view)  # (pyflakes: G3's failure and the skipped G4-G7 were never printed)
            out.print(f"\nrun {run_id}: [bold]{snapshot.status.value}[/bold]; outputs in {self.target}")
            if said := findings_line(written.get("review.json")):
                out.print(said, highlight=False)
        else:
            err.print(f"run {run_id}: {snapshot.status.value}; not finished, so no outputs were written")
        return code


def _print_final(view: dict[str, Any]) -> None:
    """The final run's gates: a table on a terminal, the plain lines otherwise."""
    from prp_tasks.cli.inspection import print_gates
    from prp_tasks.cli.progress import final_lines

    if out.is_terminal:
        print_gates(view)
        return
    for line in final_lines(view):
        out.print(line, markup=False, highlight=False)


def findings_line(review: str | None) -> str:
    """``review.json: 2 findings (2 major): G3-run-lint, G3-run-type-check`` (a passed run can have
    findings: a required check no command runs), or "" when it has none."""
    try:
        findings = json.loads(Path(review).read_text())["findings"] if review else []
    except (OSError, ValueError, KeyError, TypeError):
        return ""
    if not findings:
        return ""
    counts = Counter(str(f.get("severity")) for f in findings)
    by = ", ".join(f"{counts[s]} {s}" for s in ("blocker", "major", "minor", "nit") if counts[s])
    ids = ", ".join(str(f.get("id")) for f in findings[:5]) + (", …" if len(findings) > 5 else "")
    return f"review.json: {len(findings)} finding{'s' if len(findings) != 1 else ''} ({by}): {ids}"


def _passed_or_failed(snapshot: RunSnapshot) -> bool:
    """The run ended on its own before the cancel took (a cancel of a finished run changes nothing)."""
    return not snapshot.cancelled and snapshot.status.value in ("passed", "failed")
