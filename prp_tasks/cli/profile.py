"""``prp profile show|check``: the effective enforcement profile and its validation."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from prp_tasks.cli.common import app, err, errors, out, print_json, settings, shared_runtime
from prp_tasks.core.profile import ResolvedProfile

profile_app = typer.Typer(
    help="Inspect and validate enforcement profiles (initial.md).", no_args_is_help=True
)
app.add_typer(profile_app, name="profile")


#: the REPO argument of ``profile show|check``
REPO_HELP = "repository (or its initial.md: that file is read)"


def _resolve(repo: Path, profile: Path | None) -> ResolvedProfile:
    """The profile of ``repo``; ``repo`` a file and no ``--profile``: that file, for its folder
    (``prp profile check initial.md`` had said "no initial.md in initial.md")."""
    from prp_tasks.errors import ProfileError
    from prp_tasks.intake.profiles import resolve_profile
    from prp_tasks.intake.profiles.cache import ProfileCache

    if not repo.exists():
        raise ProfileError(f"{repo}: no such folder or file")
    if profile is None and repo.is_file():
        repo, profile = repo.parent, repo
    current = settings()
    if current.redis_url is None:  # this process's cache only
        return resolve_profile(repo, profile, cache=ProfileCache(None, current.profile_cache))
    return resolve_profile(repo, profile, cache=shared_runtime().profiles)


@profile_app.command("show")
def profile_show(
    repo: Annotated[Path, typer.Argument(metavar="REPO", help=REPO_HELP)] = Path("."),
    profile: Annotated[
        Path | None, typer.Option(metavar="FILE", help="initial.md to use instead of the lookup")
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Print the effective profile and where each value came from (default or file:line)."""
    from prp_tasks.intake.profiles.explain import explain

    with errors():
        resolved = _resolve(repo, profile)
    rows = explain(resolved)
    if json_out:
        print_json(
            {
                "source": resolved.source,
                "sha256": resolved.sha256,
                "profile": resolved.profile.model_dump(mode="json"),
                "origins": {path: origin for path, _, origin in rows},
                "doc": resolved.doc.model_dump(mode="json"),
            }
        )
        return
    where = resolved.source or "built-in defaults (no initial.md found; `prp init` writes one)"
    out.print(f"profile: {where}", highlight=False)
    for path, value, origin in rows:
        line = f"  {path} = {escape(json.dumps(value))}  [dim]({origin})[/dim]"
        out.print(line, highlight=False, soft_wrap=True)


@profile_app.command("check")
def profile_check(
    repo: Annotated[Path, typer.Argument(metavar="REPO", help=REPO_HELP)] = Path("."),
    profile: Annotated[
        Path | None, typer.Option(metavar="FILE", help="initial.md to use instead of the lookup")
    ] = None,
) -> None:
    """Validate the profile; exit 2 with every problem (file:line: field: message) if invalid.

    A valid initial.md that sets no profile value (no yaml block with profile keys) gets a
    warning: every value is then a default; so does one whose requirement is still `prp init`'s
    placeholder (G0 fails on it), and one whose required checks lack test, lint or type-check
    (the built-in workflow's G1 fails on it)."""
    from prp_tasks.core.catalog import REQUIRED_CHECKS, REQUIREMENT_PLACEHOLDER, has_placeholder
    from prp_tasks.errors import ProfileError
    from prp_tasks.intake.profiles.explain import explain
    from prp_tasks.intake.submission import missing_profile_message

    with errors():
        resolved = _resolve(repo, profile)
        if resolved.source is None:
            raise ProfileError(missing_profile_message(str(repo)))
    source = resolved.source
    if not any(str(origin).startswith(f"{source}:") for _, _, origin in explain(resolved)):
        err.print(  # valid, but probably not what its author meant
            f"warning: {source} sets no profile value (no ```yaml block with profile keys found): "
            "every value is a default (`prp profile show` lists them)",
            highlight=False,
        )
    if missing := [c for c in REQUIRED_CHECKS if c not in resolved.profile.governance.checks]:
        err.print(  # valid, but the built-in workflow's G1 fails on it (flasgger: "ok", then G1 failed)
            f"warning: {source}'s governance.checks lacks {', '.join(map(repr, missing))}: the built-in "
            "workflow's G1 (governance-required-checks) fails until it lists test, lint and type-check",
            highlight=False,
        )
    if has_placeholder(resolved.doc.requirements):
        err.print(  # valid, but G0 fails on it (sortedcollections: "ok", then a run failing at G0)
            f"warning: {source}'s requirement {REQUIREMENT_PLACEHOLDER!r} is a placeholder: G0's "
            "blueprint-validation fails until the requirements state the outcome",
            highlight=False,
        )
    out.print(f"ok: {source} {resolved.sha256[:12]}", highlight=False)
