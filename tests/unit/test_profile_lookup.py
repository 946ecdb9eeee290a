"""Finding and resolving ``initial.md`` (``prp_tasks.intake.profiles``): lookup order, explicit paths, hashes
and the errors that name the file."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from prp_tasks.core.profile import ResolvedProfile
from prp_tasks.errors import ProfileError
from prp_tasks.intake.profiles import LOOKUP, MAX_PROFILE_BYTES, find_initial_md, resolve_profile
from prp_tasks.intake.profiles.cache import ProfileCache
from prp_tasks.settings import ProfileCacheSettings

# lookup and resolution ------------------------------------------------------------------------


def resolve(repo: Path, explicit: str | Path | None = None) -> ResolvedProfile:
    return resolve_profile(repo, explicit, cache=ProfileCache(None, ProfileCacheSettings()))


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def test_the_lookup_order_is_as_documented() -> None:
    assert LOOKUP == ("initial.md", ".prp/initial.md", "docs/initial.md", "INITIAL.md")


@pytest.mark.parametrize("index", range(len(LOOKUP)))
def test_the_first_file_found_in_lookup_order_is_used(tmp_path: Path, index: int) -> None:
    for name in LOOKUP[index:]:
        write(tmp_path / name, f"# {name}\n")
    resolved = resolve(tmp_path)
    assert resolved.source == LOOKUP[index]
    assert resolved.doc.title == LOOKUP[index]


def test_an_explicit_path_wins_over_the_lookup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(write(tmp_path / "elsewhere" / "x", "").parent)
    repo = tmp_path / "repo"
    write(repo / "initial.md", "# default\n")
    write(repo / "profiles" / "strict.md", "# strict\n")
    assert resolve(repo, "profiles/strict.md").source == "profiles/strict.md"
    assert find_initial_md(repo, "profiles/strict.md") == repo / "profiles" / "strict.md"


def test_an_explicit_path_outside_the_repository_is_shown_as_given(tmp_path: Path) -> None:
    outside = write(tmp_path / "shared" / "initial.md", "# shared\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    assert resolve(repo, outside).source == str(outside)


def test_a_missing_explicit_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match=r"profile file not found: nope\.md"):
        resolve(tmp_path, "nope.md")


def test_without_a_file_the_defaults_apply(tmp_path: Path) -> None:
    resolved = resolve(tmp_path)
    assert resolved == ResolvedProfile()
    assert (resolved.source, resolved.sha256) == (None, "")
    assert find_initial_md(tmp_path) is None


def test_the_sha256_is_of_the_file_bytes(tmp_path: Path) -> None:
    data = b"# Title\n\n```yaml\nbudgets: {coverage: {lines: 80}}\n```\n"
    write(tmp_path / "initial.md", data)
    resolved = resolve(tmp_path)
    assert resolved.sha256 == hashlib.sha256(data).hexdigest()
    assert resolved.profile.budgets.coverage.lines == 80
    assert resolved.origin("budgets.coverage.lines") == "initial.md:4"
    assert resolved.origin("budgets.coverage.branches") == "default"


def test_errors_name_the_file_found(tmp_path: Path) -> None:
    write(tmp_path / "docs" / "initial.md", "# T\n```yaml\nbudgets: {coverage: {lines: 101}}\n```\n")
    with pytest.raises(ProfileError) as info:
        resolve(tmp_path)
    assert info.value.message == (
        "docs/initial.md:3: budgets.coverage.lines: Input should be less than or equal to 100"
    )


def test_a_file_that_is_not_utf8_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "initial.md", b"# T\xff\xfe\n")
    with pytest.raises(ProfileError, match=r"initial.md: not UTF-8 text \(byte 3\)"):
        resolve(tmp_path)


def test_an_oversized_file_is_refused(tmp_path: Path) -> None:
    write(tmp_path / "initial.md", b"#" * (MAX_PROFILE_BYTES + 1))
    with pytest.raises(ProfileError, match=f"larger than {MAX_PROFILE_BYTES} bytes"):
        resolve(tmp_path)
