"""Git plumbing of the workspace cache: remote rules, a safe runner, mirrors and worktrees.

Git always runs from an argv list (never a shell) with ``GIT_TERMINAL_PROMPT=0``, only the
``file``/``git``/``http(s)``/``ssh`` transports (``ext::`` is blocked), hooks disabled, a time limit
per command (the whole process group is killed on expiry) and ``--`` before positional arguments.
Every message that may carry a remote URL goes through :func:`mask`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import signal
import subprocess
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from prp_tasks.core.redact import MASK, redact
from prp_tasks.errors import WorkspaceError

ALLOWED_PROTOCOLS = "file:git:http:https:ssh"
_SCHEME_URL = re.compile(r"(?:https?|ssh|git|file)://\S+")
_SCP_URL = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._~-]*@[A-Za-z0-9][A-Za-z0-9.-]*:\S+")
_DASH_HOST = re.compile(r"[a-z]+://(?:[^/@]*@)?-")  # ssh://-oProxyCommand=…
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s'\"<>@]*(?:@[^/\s'\"<>@]*)*@")
_SHA = re.compile(r"[0-9a-fA-F]{7,64}")
_RUN_ID = re.compile(r"[A-Za-z0-9_.-]{1,100}")
_LOCATION_ENV = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
)
_CONFIG = ("core.hooksPath=/dev/null", "core.fsmonitor=false", "advice.detachedHead=false")
BRANCHES_AND_TAGS = ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")


# Validation and masking -------------------------------------------------------------------------


def check_sha(sha: str) -> str:
    """The commit id, lower-cased; 7–64 hex digits or :class:`WorkspaceError`."""
    if not isinstance(sha, str) or not _SHA.fullmatch(sha):
        raise WorkspaceError(f"invalid commit id {sha!r}: expected 7 to 64 hex digits")
    return sha.lower()


def check_run_id(run_id: str) -> str:
    """The run id if it is safe as a file name (``[A-Za-z0-9_.-]{1,100}``, not only dots)."""
    if not isinstance(run_id, str) or not is_run_id(run_id):
        raise WorkspaceError(f"invalid run id {run_id!r}")
    return run_id


def is_run_id(name: str) -> bool:
    """Whether ``name`` is a valid run id (see :func:`check_run_id`)."""
    return bool(_RUN_ID.fullmatch(name)) and bool(name.strip("."))


def strip_userinfo(url: str) -> str:
    """``url`` without the ``user:password@`` part of a ``scheme://`` URL."""
    return _USERINFO.sub(r"\1", url)


def url_secrets(url: str) -> tuple[str, ...]:
    """The literal credentials inside ``url`` (password; a lone https user name is a token too)."""
    try:
        parts = urlsplit(url)
        user, password = parts.username, parts.password
    except ValueError:
        return ()
    found = [password] if password else []
    if user and not password and parts.scheme.lower() in ("http", "https"):
        found.append(user)
    expanded = {v for s in found for v in (s, unquote(s)) if len(v) >= 4}
    return tuple(sorted(expanded, key=len, reverse=True))


def mask(text: str, url: str = "") -> str:
    """``text`` with URL credentials (and known secret shapes) replaced by ``[REDACTED]``."""
    for secret in url_secrets(url):
        text = text.replace(secret, MASK)
    return redact(_USERINFO.sub(r"\1" + MASK + "@", text))


def check_remote(url: str, allowed: Sequence[str]) -> None:
    """Refuse option-like, malformed, non-allowlisted or exotic-transport remote URLs."""
    if not isinstance(url, str) or not url or url.startswith("-"):
        raise WorkspaceError(f"remote {mask(str(url))!r} is not a valid git URL")
    shown = mask(url, url)
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        raise WorkspaceError(f"remote {shown!r} is not a valid git URL")
    scheme_ok = bool(_SCHEME_URL.fullmatch(url) or _SCP_URL.fullmatch(url)) and not _DASH_HOST.match(url)
    prefix_ok = not allowed or any(_has_prefix(url, p) for p in allowed)
    if not (scheme_ok and prefix_ok):
        raise WorkspaceError(f"remote {shown} is not allowed (PRP_WORKSPACE__ALLOWED_REMOTES)")


def _has_prefix(url: str, prefix: str) -> bool:
    """Prefix match ignoring the URL's credentials, so ``https://github.com@evil/`` is not github."""
    if strip_userinfo(prefix) != prefix:  # the allowlist entry names a user: compare as written
        return url.startswith(prefix)
    return strip_userinfo(url).startswith(prefix)


def mirror_key(url: str) -> str:
    """The mirror directory name of ``url`` (without ``.git``)."""
    return hashlib.sha256(url.encode()).hexdigest()[:24]


# Runner ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GitResult:
    """Outcome of one git command."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def reason(self) -> str:
        """git's own explanation: its first ``fatal:``/``error:`` line, else its last line."""
        lines = [line.strip() for line in self.stderr.splitlines() if line.strip()]
        for line in lines:
            for prefix in ("fatal:", "error:"):
                if line.startswith(prefix):
                    return line[len(prefix) :].strip()
        return lines[-1] if lines else f"git exited with status {self.returncode}"


class GitRunner(Protocol):
    """Runs ``git [--git-dir=git_dir] args...``; ``url`` names the remote whose secrets to mask."""

    def __call__(self, git_dir: Path | None, *args: str, url: str = "") -> GitResult: ...


def git_env() -> dict[str, str]:
    """The worker's environment made safe for unattended git."""
    env = {k: v for k, v in os.environ.items() if k not in _LOCATION_ENV}
    env.update(
        GIT_TERMINAL_PROMPT="0",
        GIT_ALLOW_PROTOCOL=ALLOWED_PROTOCOLS,
        GCM_INTERACTIVE="never",
        LC_ALL="C",
    )
    return env


def run_git(git_dir: Path | None, args: Sequence[str], *, timeout: float, url: str = "") -> GitResult:
    """Run git; :class:`WorkspaceError` only when it cannot run or exceeds ``timeout`` seconds."""
    argv = ["git", *(x for c in _CONFIG for x in ("-c", c))]
    if git_dir is not None:
        argv.append(f"--git-dir={git_dir}")
    argv.extend(args)
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=git_env(),
            text=True,
            errors="replace",
            start_new_session=True,  # no controlling terminal; one process group to kill
        )
    except OSError as exc:
        raise WorkspaceError(f"cannot run git: {exc.strerror or exc}") from None
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        command = mask(" ".join(["git", *args]), url)[:300]
        remote = f" ({mask(url, url)})" if url and url not in args else ""
        raise WorkspaceError(f"{command}{remote} timed out after {timeout:g}s") from None
    return GitResult(proc.returncode, out, mask(err, url))


def _kill_group(proc: subprocess.Popen[str]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.communicate()


# Mirrors ----------------------------------------------------------------------------------------------


def is_mirror(path: Path) -> bool:
    """Whether ``path`` looks like a complete mirror (it is renamed into place once set up)."""
    return (path / "HEAD").is_file() and (path / "config").is_file() and (path / "objects").is_dir()


def ensure_mirror(git: GitRunner, path: Path, url: str) -> bool:
    """Create the bare mirror of ``url`` at ``path`` unless present; ``True`` if created."""
    if is_mirror(path):
        return False
    if path.exists():
        shutil.rmtree(path, ignore_errors=True)  # left over by a crash
    tmp = path.with_name(f"{path.name}+{uuid.uuid4().hex[:12]}")
    steps: list[tuple[str, ...]] = [
        ("config", "gc.autoDetach", "false"),
        ("remote", "add", "--", "origin", url),
    ]
    try:
        _must(git(None, "init", "--quiet", "--bare", "--template=", "--", str(tmp)), url)
        for step in steps:
            _must(git(tmp, *step, url=url), url)
        os.chmod(tmp, 0o700)
        os.rename(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return True


def _must(result: GitResult, url: str) -> None:
    if not result.ok:
        raise WorkspaceError(f"cannot set up a mirror of {mask(url, url)}: {result.reason()}")


def resolve_commit(git: GitRunner, mirror: Path, sha: str) -> str | None:
    """The full id of commit ``sha`` if the mirror has it."""
    result = git(mirror, "rev-parse", "--verify", "--quiet", f"{sha}^{{commit}}")
    full = result.stdout.strip().lower()
    return full if result.ok and full.startswith(sha) else None


def fetch_commit(git: GitRunner, mirror: Path, url: str, sha: str) -> tuple[str, bool]:
    """The full id of ``sha``, fetching branches and tags (then the id itself) only if missing.

    Returns the id and whether anything was fetched.
    """
    full = resolve_commit(git, mirror, sha)
    if full:
        return full, False
    result = git(
        mirror, "fetch", "--quiet", "--prune", "--no-tags", "--", "origin", *BRANCHES_AND_TAGS, url=url
    )
    if not result.ok:
        raise WorkspaceError(f"cannot fetch {mask(url, url)}: {result.reason()}")
    full = resolve_commit(git, mirror, sha)
    if not full and len(sha) in (40, 64):  # not on any branch or tag: ask for the object itself
        git(mirror, "fetch", "--quiet", "--no-tags", "--", "origin", sha, url=url)
        full = resolve_commit(git, mirror, sha)
    if not full:
        raise WorkspaceError(f"commit {sha} is not in {mask(url, url)} (was it pushed?)")
    return full, True


# Worktrees ------------------------------------------------------------------------------------------


def add_worktree(git: GitRunner, mirror: Path, path: Path, sha: str) -> None:
    """Check out exactly commit ``sha`` (detached) into the empty directory ``path``."""
    result = git(mirror, "worktree", "add", "--quiet", "--detach", "--", str(path), sha)
    if not result.ok:
        raise WorkspaceError(f"cannot check out {sha}: {result.reason()}")


def mirror_of(worktree: Path) -> Path | None:
    """The mirror a worktree belongs to, read from its ``.git`` file."""
    try:
        text = (worktree / ".git").read_text()
    except OSError:
        return None
    if not text.startswith("gitdir:"):
        return None
    admin = Path(text[len("gitdir:") :].strip())  # <mirror>/worktrees/<name>
    return admin.parent.parent if admin.parent.name == "worktrees" else None


def remove_worktree(git: GitRunner, mirror: Path | None, path: Path) -> None:
    """Remove a worktree directory and its registration in ``mirror`` (best effort, never raises)."""
    registered = mirror is not None and is_mirror(mirror)
    if registered:
        with contextlib.suppress(WorkspaceError):
            git(mirror, "worktree", "remove", "--force", "--force", "--", str(path))
    if path.is_symlink():
        path.unlink()
    elif path.exists():
        shutil.rmtree(path, ignore_errors=True)
    if registered:
        with contextlib.suppress(WorkspaceError):
            git(mirror, "worktree", "prune")
