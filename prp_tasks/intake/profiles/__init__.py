"""Enforcement profiles: find a repository's ``initial.md``, parse it through the cache."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from prp_tasks.core.profile import ResolvedProfile
from prp_tasks.errors import ProfileError

if TYPE_CHECKING:
    from prp_tasks.intake.profiles.cache import ProfileCache

#: Where ``initial.md`` is looked for, after an explicit path (upstream's order).
LOOKUP = ("initial.md", ".prp/initial.md", "docs/initial.md", "INITIAL.md")
MAX_PROFILE_BYTES = 1_000_000


def find_initial_md(repo: Path, explicit: str | Path | None = None) -> Path | None:
    """The profile file for ``repo``: ``explicit`` if given (must exist), else the first found."""
    if explicit is not None:
        path = Path(explicit)
        if not path.is_absolute() and not path.exists():
            path = repo / path
        if not path.is_file():
            raise ProfileError(f"profile file not found: {explicit}")
        return path
    for name in LOOKUP:
        candidate = repo / name
        if candidate.is_file():
            return candidate
    return None


def read_profile_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ProfileError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_PROFILE_BYTES:
        raise ProfileError(f"{path}: larger than {MAX_PROFILE_BYTES} bytes")
    return data


def resolve_profile(
    repo: Path, explicit: str | Path | None = None, *, cache: ProfileCache
) -> ResolvedProfile:
    """The repository's profile via ``cache``; defaults (``source=None``) when no file exists."""
    path = find_initial_md(repo, explicit)
    if path is None:
        return ResolvedProfile()
    return cache.resolve(read_profile_bytes(path), _display(path, repo))


def _display(path: Path, repo: Path) -> str:
    try:
        return str(path.resolve().relative_to(repo.resolve()))
    except ValueError:
        return str(path)
