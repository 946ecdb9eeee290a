"""What a local checkout is: path, owner/name, branch, HEAD commit and whether it is dirty."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from pydantic import ValidationError

from prp_tasks.core.run import CHANGES_KEPT, RepoInfo
from prp_tasks.core.validation import problems_from
from prp_tasks.environments.projectfiles import sdist_version
from prp_tasks.errors import InputError
from prp_tasks.intake.init.sources import (
    BOUND_LITERAL,
    module_literal,
    nested,
    read_ini,
    read_text,
    read_toml,
)

_REMOTE = re.compile(r"[:/]([^/:]+)/([^/]+?)(?:\.git)?/?$")


def _hosted(remote: str) -> bool:
    """Whether a remote is on a host (``https://github.com/o/r``, ``git@github.com:o/r``), not a
    local path (``/tmp/trial/project``, ``../project``, ``file:///…``)."""
    if re.match(r"[a-z][a-z0-9+.-]*://", remote, re.I):
        return not remote.lower().startswith("file:")
    return bool(re.match(r"[^/\\.][^/:\\]+:", remote))  # scp-like ``host:path`` (not ``C:\\``)


def _git(repo: Path, *args: str, strip: bool = True) -> str | None:
    try:
        proc = subprocess.run(
            ["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=20, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    return proc.stdout.strip() if strip else proc.stdout


def changed_paths(status: str) -> list[str]:
    """The paths of ``git status --porcelain -z`` (a rename's new path; its old one is skipped)."""
    paths: list[str] = []
    entries = iter(status.split("\0"))
    for entry in entries:
        if len(entry) < 4:
            continue
        paths.append(entry[3:])
        if entry[0] in "RC":
            next(entries, None)  # the path it was renamed or copied from
    return paths


def inspect_repo(path: str | Path) -> RepoInfo:
    """Describe a local directory; a directory that is not a git repository gets SHA ``unknown``."""
    repo = _directory(path)
    top = _git(repo, "rev-parse", "--show-toplevel")
    if top is None:
        return RepoInfo(repo=repo.name or "repo", path=str(repo))
    sha = _git(repo, "rev-parse", "HEAD") or "unknown"
    branch = _git(repo, "rev-parse", "--abbrev-ref", "HEAD") or "unknown"
    status = _git(repo, "status", "--porcelain", "-z", "--untracked-files=normal", "--", ".", strip=False)
    changes = changed_paths(status or "")
    owner, name = "local", repo.name
    remote = _git(repo, "remote", "get-url", "origin")
    if remote and _hosted(remote):  # (a clone of a local path names no owner: python-dotenv's)
        match = _REMOTE.search(remote)
        if match:
            owner, name = match.group(1), match.group(2)
    return RepoInfo(
        owner=owner,
        repo=name,
        branch=branch,
        commit_sha=sha,
        path=str(repo),
        dirty=bool(changes),
        changed=len(changes),
        changes=tuple(changes[:CHANGES_KEPT]),
    )


def _directory(path: str | Path) -> Path:
    """The directory ``path`` names, resolved; InputError when it is not one or cannot be looked
    at (a name too long for the file system, a NUL byte, an unknown ``~user``, a symlink loop)."""
    try:
        repo = Path(path).expanduser()
        if repo.is_dir():
            return repo.resolve()
    except (OSError, RuntimeError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise InputError(f"repository path cannot be read: {_shown(path)}: {why}") from None
    raise InputError(f"repository path is not a directory: {_shown(path)}")


def _shown(path: str | Path, limit: int = 200) -> str:
    text = str(path)
    return text if len(text) <= limit else text[:limit] + "…"


def distributed_source(path: str | Path, remote: str = "origin") -> RepoInfo:
    """A local checkout as a source any worker can fetch: ``remote``'s URL at HEAD.

    Refused (InputError) unless it is a git repository with a clean working tree whose HEAD is
    on a branch of ``remote`` (pushed), because workers only see what the remote has.
    """
    info = inspect_repo(path)
    where = info.path
    if info.commit_sha == "unknown":
        raise InputError(f"repo: {where} is not a git repository; a distributed run needs a commit to fetch")
    if info.dirty:
        raise InputError(
            f"repo: {where} has uncommitted changes; workers would not see them. "
            "Commit and push, or run locally (without --distributed)"
        )
    url = _git(Path(where), "remote", "get-url", "--", remote)
    if not url:
        raise InputError(f"repo: {where} has no git remote {remote!r} for workers to fetch from")
    if not _git(Path(where), "branch", "-r", "--contains", info.commit_sha, "--list", f"{remote}/*"):
        raise InputError(
            f"repo: commit {info.commit_sha[:12]} is not on any branch of {remote!r}; git push, then retry"
        )
    return git_source(_as_url(url, Path(where)), info.commit_sha, branch=info.branch, path=where)


def git_source(url: str, sha: str, *, branch: str = "unknown", path: str = "") -> RepoInfo:
    """A remote source: ``url`` at the full commit ``sha`` (InputError naming the bad field).

    ``path`` is the clean checkout it was submitted from, if any (the profile is read there).
    """
    match = _REMOTE.search(url)
    owner, name = (match.group(1), match.group(2)) if match else ("remote", "repo")
    try:
        return RepoInfo(owner=owner, repo=name, branch=branch, commit_sha=sha.lower(), url=url, path=path)
    except ValidationError as exc:
        problems = problems_from(exc, RepoInfo)
        raise InputError("git source: " + "; ".join(p.render() for p in problems)) from None


def _as_url(remote: str, repo: Path) -> str:
    """A remote as a URL: a local path becomes ``file://`` (relative to the repository)."""
    if "://" in remote or re.match(r"^[A-Za-z0-9_.-]+@[^/]+:", remote):
        return remote
    return (repo / remote).resolve().as_uri()


#: a version as the release notes show it (anything longer or stranger is not shown), a digit in
#: it (alive-progress' ``__version__ = '.'.join(map(str, VERSION))`` had read as the version ``.``)
_VERSION = re.compile(r"(?=\D*\d)[\w.+!-]{1,64}")


def project_version(path: Path) -> tuple[str, str] | None:
    """The project's own version and where it came from, for the release notes: a static
    ``[project] version`` of pyproject.toml, setup.cfg's ``[metadata] version``, an sdist's
    setup.py's literal ``version='1.0.1'`` (jmespath), PKG-INFO, a literal ``__version__`` of the
    module its metadata names (``attr: pkg.__version__``, ``version=pkg.__version__``) or of the
    module named as the project (flit's dynamic version: markdown-it-py's ``markdown_it``; schema's
    ``schema.py``), else the checkout's latest git tag (without the ``v`` of ``v1.5.0``); None when
    none says (read only, never run)."""
    readers = (_pyproject_version, _setup_cfg_version, _setup_py_version, _pkg_info_version)
    for read in (*readers, _attribute_version, _named_module_version):
        found = read(path)
        if found is not None:
            return found
    tag = _git(path, "describe", "--tags", "--abbrev=0")
    if not tag or not _VERSION.fullmatch(tag):
        return None
    version = tag[1:] if re.fullmatch(r"v\d.*", tag) else tag  # the tag ``v8.0.4`` names 8.0.4
    said = f"the latest git tag, {tag}" if version != tag else "the latest git tag"
    past = re.fullmatch(rf"{re.escape(tag)}-(\d+)-g([0-9a-f]+)", _git(path, "describe", "--tags") or "")
    if past is None:
        return version, said
    # commits after the tag are no release of it (h11 three commits on: "Bump version to 0.16.0+dev")
    return f"{version}+{past[1]}.g{past[2]}", f"{said}, {past[1]} commit(s) before this one"


def _pyproject_version(path: Path) -> tuple[str, str] | None:
    data = read_toml(path / "pyproject.toml")
    tool = data.get("tool")
    for table in (data.get("project"), tool.get("poetry") if isinstance(tool, dict) else None):
        version = table.get("version") if isinstance(table, dict) else None
        if isinstance(version, str) and _VERSION.fullmatch(version):
            return version, "pyproject.toml"
    return None


def _setup_cfg_version(path: Path) -> tuple[str, str] | None:
    """setup.cfg's ``version = 1.2``, or the file its ``version = file: VERSION`` names
    (pytz-deprecation-shim's); not ``attr: pkg.VERSION`` (:func:`_attribute_version`)."""
    version = read_ini(path / "setup.cfg").get("metadata", "version", fallback="").strip()
    if version.startswith("file:"):
        return _version_file(path, version.removeprefix("file:").strip(), "setup.cfg")
    return (version, "setup.cfg") if _VERSION.fullmatch(version) else None


def _version_file(path: Path, name: str, said: str) -> tuple[str, str] | None:
    """The version a file of the checkout holds alone on its first line."""
    if not name or Path(name).is_absolute() or ".." in Path(name).parts:
        return None
    lines = read_text(path / name).strip().splitlines()
    version = lines[0].strip() if lines else ""
    return (version, f"{said} (file: {name})") if _VERSION.fullmatch(version) else None


def _setup_py_version(path: Path) -> tuple[str, str] | None:
    """setup.py's literal ``version='1.0.1'`` (jmespath), or the literal of a name setup.py binds
    itself (text-unidecode's ``__version__ = '1.3'`` then ``version=__version__``) or in the file
    it executes (h11's ``exec(open("h11/_version.py").read())``); not ``version=pkg.__version__``."""
    text, source = read_text(path / "setup.py"), "setup.py"
    found = re.search(r"""\bversion\s*=\s*["']([^"']+)["']""", text)
    if found is None and (named := re.search(r"\bversion\s*=\s*([A-Za-z_]\w*)\s*[,)\n]", text)):
        binding = BOUND_LITERAL.format(name=re.escape(named.group(1)))
        found = re.search(binding, text, re.M)
        executed = re.search(r"""\bexec\(\s*open\(\s*["']([\w./-]+\.py)["']""", text)
        if found is None and executed and ".." not in executed[1]:  # h11's _version.py
            found, source = re.search(binding, read_text(path / executed[1]), re.M), executed[1]
    return (found.group(1), source) if found and _VERSION.fullmatch(found.group(1)) else None


def _named_module_version(path: Path) -> tuple[str, str] | None:
    """The literal ``__version__`` of the module named as the project (flit's ``[tool.flit.module]
    name``, else the project's name with ``_`` for ``-``): flit reads its dynamic version there."""
    names = [n for n in (_flit_module(path), *_project_names(path)) if n]
    for name in dict.fromkeys(n.replace("-", "_") for n in names):
        found = _module_literal(path, name, "__version__")
        if found is not None:
            return found
    return None


def _flit_module(path: Path) -> str | None:
    module = nested(read_toml(path / "pyproject.toml"), "tool", "flit", "module")
    name = module.get("name") if isinstance(module, dict) else None
    return name if isinstance(name, str) else None


def _project_names(path: Path) -> list[str]:
    """The project's name as pyproject.toml, setup.cfg or setup.py's literal ``name=`` gives it."""
    texts = [read_text(path / name) for name in ("pyproject.toml", "setup.cfg", "setup.py")]
    pattern = re.compile(r"""(?:^|[\s(,])name\s*=\s*["']?([A-Za-z0-9][\w.-]*)["']?""", re.M)
    return [m.group(1) for text in texts for m in [pattern.search(text)] if m]


def _pkg_info_version(path: Path) -> tuple[str, str] | None:
    version = sdist_version(path)
    return (version, "PKG-INFO") if version else None


#: the module attribute a project's metadata takes its version from (setup.cfg's ``attr:``,
#: setup.py's ``version=pkg.__version__``, setuptools' dynamic ``{attr = "pkg.__version__"}``)
_VERSION_ATTR = re.compile(
    r"""(?:version\s*=\s*attr:\s*|\bversion\s*=\s*|attr\s*=\s*["'])([A-Za-z_][\w.]*)\.(\w+)\b"""
)


def _attribute_version(path: Path) -> tuple[str, str] | None:
    """asgiref's ``version = attr: asgiref.__version__``: the literal in ``asgiref/__init__.py``."""
    for name in ("setup.cfg", "setup.py", "pyproject.toml"):
        match = _VERSION_ATTR.search(read_text(path / name))
        if match:
            module, attribute = match.groups()
            return _module_literal(path, module, attribute)
    return None


def _module_literal(path: Path, module: str, attribute: str) -> tuple[str, str] | None:
    found = module_literal(path, module, attribute)
    return found if found is not None and _VERSION.fullmatch(found[0]) else None
