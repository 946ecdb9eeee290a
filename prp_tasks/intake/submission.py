"""Turn what a user gives (a repo, maybe a workflow file and a blueprint) into a validated RunSpec.

Everything is validated here, before anything is written or enqueued: a bad input never leaves
a half-created run behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from prp_tasks.core import dag
from prp_tasks.core.builtin_workflow import builtin_workflow
from prp_tasks.core.catalog import BUILTIN_CHECKS
from prp_tasks.core.evaluate import utc_now
from prp_tasks.core.models import Workflow
from prp_tasks.core.profile import ResolvedProfile
from prp_tasks.core.run import Blueprint, RepoInfo, RunSpec, new_run_id
from prp_tasks.core.validation import problems_from
from prp_tasks.errors import BlueprintError, InputError, ProfileError
from prp_tasks.intake.changelog import Entry, changelog_entry
from prp_tasks.intake.profiles import LOOKUP, resolve_profile
from prp_tasks.intake.profiles.cache import ProfileCache
from prp_tasks.intake.repo import project_version
from prp_tasks.intake.sources import RunSource
from prp_tasks.intake.workflow_files import load_workflow, workflow_from_data
from prp_tasks.intake.yamlsrc import parse_yaml
from prp_tasks.routing import QUEUE_CLASSES
from prp_tasks.settings import ProfileCacheSettings, WorkspaceSettings

MAX_BLUEPRINT_BYTES = 1_000_000
#: what an idempotency key may be (HTTP, MCP, ``prp.submit_run``)
IDEMPOTENCY_KEY = r"^[A-Za-z0-9_.:-]{1,200}$"


def load_blueprint(path: str | Path) -> Blueprint:
    """A blueprint from a YAML or JSON file (``title``, ``description``, ``requirements``, ``metadata``)."""
    source = str(path)
    try:
        raw = Path(path).read_bytes()
        if len(raw) > MAX_BLUEPRINT_BYTES:
            raise BlueprintError(f"larger than {MAX_BLUEPRINT_BYTES} bytes", source=source)
        text = raw.decode("utf-8")
    except OSError as exc:
        raise BlueprintError(f"cannot read blueprint: {exc.strerror or exc}", source=source) from None
    except UnicodeDecodeError:
        raise BlueprintError("not UTF-8 text", source=source) from None
    doc, problems = parse_yaml(text)
    if doc is None or problems:
        raise BlueprintError(problems=problems, source=source)
    if not isinstance(doc.data, dict):
        raise BlueprintError("the top level must be a mapping with at least 'title'", source=source)
    try:
        return Blueprint.model_validate(doc.data)
    except ValidationError as exc:
        raise BlueprintError(problems=doc.with_lines(problems_from(exc, Blueprint)), source=source) from None


def blueprint_from_profile(profile: ResolvedProfile, repo_name: str) -> Blueprint:
    """The default blueprint: initial.md's title, context and requirements."""
    doc = profile.doc
    return Blueprint(
        title=doc.title or f"PRP for {repo_name}",
        description=doc.context,
        requirements=doc.requirements,
        metadata={"source": profile.source or "defaults"},
    )


def blueprint_from_data(data: dict[str, Any]) -> Blueprint:
    """Validate a blueprint given as data (API payloads)."""
    try:
        return Blueprint.model_validate(data)
    except ValidationError as exc:
        raise BlueprintError(problems=problems_from(exc, Blueprint)) from None


def prepare_run(
    repo: str | Path | None,
    *,
    workflow: str | Path | Workflow | None = None,
    blueprint: str | Path | Blueprint | None = None,
    profile_path: str | Path | None = None,
    actor: str = "system",
    strict: bool = False,
    auto_approve: bool = False,
    run_id: str | None = None,
    profiles: ProfileCache | None = None,
    source: RunSource | None = None,
    require_profile: bool = False,
    idempotency_key: str | None = None,
) -> RunSpec:
    """Validate every input and build the run's immutable spec (nothing is written).

    ``repo`` is a local checkout; ``source`` says whether workers read it in place (default),
    fetch it from its remote (``distributed``) or fetch a ``git_url`` at ``commit`` (then
    ``repo`` is None). ``profiles`` is the parsed-profile cache (process-local when omitted).
    ``require_profile`` (the command line) refuses the built-in workflow without an initial.md.
    """
    source = source or RunSource()
    run_id = run_id or new_run_id()
    info = source.repo_info(repo)
    resolved, version, changes = _read_checkout(source, run_id, info, profile_path, profiles)
    if require_profile and workflow is None and resolved.source is None:
        raise ProfileError(missing_profile_message(str(repo) if repo is not None else "."))
    return RunSpec(
        run_id=run_id,
        workflow=_workflow(workflow, resolved),
        blueprint=with_changes(with_version(_blueprint(blueprint, resolved, info.repo), version), changes),
        repo=info,
        profile=resolved,
        created_at=utc_now(),
        actor=actor,
        strict=strict,
        auto_approve=auto_approve,
        idempotency_key=idempotency_key,
    )


def _read_checkout(
    source: RunSource,
    run_id: str,
    info: RepoInfo,
    profile_path: str | Path | None,
    profiles: ProfileCache | None,
) -> tuple[ResolvedProfile, tuple[str, str] | None, Entry | None]:
    """The run's profile (its checkout's initial.md, or ``profile_path``), the project's version
    and its changelog's entry for that version."""
    cache = profiles or ProfileCache(None, ProfileCacheSettings())
    with source.checkout(run_id, info) as path:
        version = project_version(path)
        changes = changelog_entry(path, version[0]) if version is not None else None
        return resolve_profile(path, profile_path, cache=cache), version, changes


def missing_profile_message(repo: str) -> str:
    """What to say when a repository has no ``initial.md``: from a folder of a checkout whose top
    has one (``cd src && prp run .``), that one, rather than writing a second one there."""
    above = _profile_above(Path(repo))
    if above is not None:
        top, profile = above
        return f"no initial.md in {repo}: the checkout's top has one ({profile}); run `prp run {top}`"
    return (
        f"no initial.md in {repo} (looked for {', '.join(LOOKUP)}): the built-in workflow takes its "
        f"blueprint and profile from it; write one from the project with `prp init {repo}`, "
        "or pass --profile FILE"
    )


def _profile_above(folder: Path) -> tuple[Path, Path] | None:
    """(the top of the git checkout ``folder`` is below, its initial.md), if it has one."""
    try:
        here = folder.resolve()
    except OSError:
        return None
    for parent in here.parents:
        if (parent / ".git").exists():
            found = next((parent / name for name in LOOKUP if (parent / name).is_file()), None)
            return (parent, found) if found is not None else None
    return None


def _workflow(workflow: str | Path | Workflow | None, resolved: ResolvedProfile) -> Workflow:
    """The given workflow (file or object, validated), else the built-in G0–G7 for the profile."""
    if workflow is None:
        return builtin_workflow(resolved.profile)
    if isinstance(workflow, Workflow):
        return dag.validate(workflow, known_builtins=BUILTIN_CHECKS, queue_classes=QUEUE_CLASSES)
    return load_workflow(workflow)


def _blueprint(blueprint: str | Path | Blueprint | None, resolved: ResolvedProfile, repo: str) -> Blueprint:
    """The given blueprint (file or object), else one derived from initial.md."""
    if blueprint is None:
        return blueprint_from_profile(resolved, repo)
    if isinstance(blueprint, Blueprint):
        return blueprint
    return load_blueprint(blueprint)


def with_version(blueprint: Blueprint, found: tuple[str, str] | None) -> Blueprint:
    """The blueprint with the project's version for the release notes, unless it names one."""
    if found is None or blueprint.metadata.get("version"):
        return blueprint
    version, source = found
    return blueprint.model_copy(
        update={"metadata": {**blueprint.metadata, "version": version, "versionSource": source}}
    )


def with_changes(blueprint: Blueprint, entry: Entry | None) -> Blueprint:
    """The blueprint with the changelog's entry for its version as the release notes' highlights
    and breaking changes, unless it states either itself (or names another version)."""
    meta = blueprint.metadata
    if entry is None or "highlights" in meta or "breakingChanges" in meta or "versionSource" not in meta:
        return blueprint
    found = {"highlights": entry.highlights, "breakingChanges": entry.breaking}
    where = {"changelog": f"{entry.source}, {entry.heading}"}
    return blueprint.model_copy(update={"metadata": {**meta, **found, **where}})


class SubmitRequest(BaseModel):
    """A run submission from a service (HTTP body, MCP arguments, ``prp.submit_run`` kwargs).

    Booleans are strict (``true``/``false``, never ``0`` or ``"yes"``); one of ``repo`` and
    ``git_url`` is required (the JSON Schema says so with ``anyOf``).
    """

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {"required": ["repo"], "properties": {"repo": {"type": "string"}}},
                {"required": ["git_url"], "properties": {"git_url": {"type": "string"}}},
            ]
        },
    )

    #: path of the repository as the workers see it (or give ``git_url``)
    repo: str | None = Field(default=None, min_length=1, max_length=4096)
    #: a git remote workers fetch ``commit_sha`` from (any machine); instead of ``repo``
    git_url: str | None = Field(default=None, min_length=1, max_length=2048)
    #: with ``repo``: run on its ``origin`` at HEAD (workers on any machine; a dirty tree is refused)
    distributed: bool = Field(default=False, strict=True)
    #: a workflow file path, or the workflow itself (same schema as a workflow file)
    workflow: str | dict[str, Any] | None = None
    #: a blueprint file path, or the blueprint itself ({title, description, requirements, metadata})
    blueprint: str | dict[str, Any] | None = None
    #: an initial.md to use instead of the repository's lookup
    profile_path: str | None = Field(default=None, max_length=4096)
    #: refuse unless the repository is at this commit; with ``git_url``, the full commit to run on
    commit_sha: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{7,64}$")
    strict: bool = Field(default=False, strict=True)
    auto_approve: bool = Field(default=False, strict=True)
    #: the same key returns the same run instead of starting another one
    idempotency_key: str | None = Field(default=None, pattern=IDEMPOTENCY_KEY)
    #: who asks (the HTTP API and MCP over HTTP use the token's identity instead)
    actor: str | None = Field(default=None, max_length=200)


def spec_from_request(
    request: SubmitRequest,
    *,
    actor: str,
    profiles: ProfileCache | None = None,
    repo_roots: tuple[Path, ...] = (),
    run_id: str | None = None,
    workspaces: WorkspaceSettings | None = None,
) -> RunSpec:
    """Validate a submission completely and build its spec (nothing is written)."""
    repo = Path(request.repo) if request.repo is not None else None
    _check_roots(request, repo, repo_roots)
    source = RunSource(
        distributed=request.distributed,
        git_url=request.git_url,
        commit=request.commit_sha if request.git_url else None,
        workspaces=workspaces,
    )
    workflow = (
        workflow_from_data(request.workflow, source="workflow")
        if isinstance(request.workflow, dict)
        else request.workflow
    )
    spec = prepare_run(
        repo,
        workflow=workflow,
        blueprint=_request_blueprint(request),
        profile_path=request.profile_path,
        actor=actor,
        strict=request.strict,
        auto_approve=request.auto_approve,
        run_id=run_id,
        profiles=profiles,
        source=source,
        idempotency_key=request.idempotency_key,
    )
    _check_commit(spec, request.commit_sha)
    return spec


def _request_blueprint(request: SubmitRequest) -> Blueprint | str | None:
    if isinstance(request.blueprint, dict):
        return blueprint_from_data(request.blueprint)
    return request.blueprint


def _check_commit(spec: RunSpec, expected: str | None) -> None:
    sha = spec.repo.commit_sha
    if expected and sha != "unknown" and not sha.startswith(expected.lower()):
        raise InputError(f"commit_sha: the repository is at {sha}, not {expected}")


def _check_roots(request: SubmitRequest, repo: Path | None, roots: tuple[Path, ...]) -> None:
    """With ``repo_roots`` set, local repositories and ``file://`` remotes must lie under them."""
    if not roots:
        return
    shown = ", ".join(str(r) for r in roots)
    if repo is not None and not any(_inside(repo, root) for root in roots):
        raise InputError(f"repo: {request.repo} is not under an allowed root ({shown})")
    url = request.git_url or ""
    if url.startswith("file://") and not any(_inside(Path(unquote(url[7:])), root) for root in roots):
        raise InputError(f"git_url: {url} is not under an allowed root ({shown})")


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True
