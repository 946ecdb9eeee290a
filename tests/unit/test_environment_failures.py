"""A failed environment build: what its message says caused it, and when it is tried again."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from prp_tasks.environments.build import failure_message
from prp_tasks.environments.projectfiles import EnvironmentSetupError
from tests.unit.test_environments import write


def test_an_unreachable_index_is_named_in_the_failure(tmp_path: Path) -> None:
    log = write(
        tmp_path,
        {
            "b.log": "[prp] $ uv pip install\nerror: Request failed after 3 retries\n"
            "  Caused by: Failed to fetch: https://pypi.org/simple/x/\n"
        },
    )
    message = failure_message(log / "b.log", "installing", 2)
    assert message.startswith("installing: the package index is unreachable (offline?)")
    assert "error: Request failed after 3 retries" in message


def test_a_python_uv_cannot_download_is_named_not_the_index(tmp_path: Path) -> None:
    """html5lib with ``python: "3.8"``: uv could not download a CPython 3.8 build (DNS) and the
    failure read "the package index is unreachable" while PyPI answered."""
    url = "https://github.com/astral-sh/python-build-standalone/releases/download/20241002/cpython-3.8.20.tar.gz"
    log = write(
        tmp_path,
        {
            "b.log": f"[prp] $ uv venv --python 3.8\nerror: Request failed after 3 retries in 10.0s\n"
            f"  cause: Failed to download `{url}`\n  cause: error sending request for url ({url})\n"
            "  cause: client error (Connect)\n  cause: dns error\n"
        },
    )
    message = failure_message(log / "b.log", "creating the environment", 2)
    assert message.startswith("creating the environment: the Python it asks for is not on this machine")
    assert "package index" not in message and "dns error" in message


def test_a_git_dependency_that_cannot_be_fetched_is_named_not_the_index(tmp_path: Path) -> None:
    """urllib3: hypercorn comes from github.com; its DNS failure read as 'the index is unreachable'."""
    log = write(
        tmp_path,
        {
            "b.log": "[prp] $ uv sync --frozen\nerror: Git operation failed\n  Caused by: failed to fetch "
            "into: /root/.cache/uv/git-v0/db/1\n  Caused by: process didn't exit successfully: `git fetch`\n"
            "--- stderr\nfatal: unable to access 'https://github.com/urllib3/hypercorn/': Could not resolve "
            "host: github.com\n"
        },
    )
    message = failure_message(log / "b.log", "uv sync", 2)
    assert message.startswith("uv sync: a dependency from a git repository could not be fetched")
    assert "Could not resolve host: github.com" in message


def test_a_failed_build_keeps_the_compilers_error_and_uvs_hint(tmp_path: Path) -> None:
    """hyperlink's mypy==0.790 on Python 3.11: the first 12 lines ended at ``copying typed_ast/…``;
    the cause (``code.h: No such file``) and uv's hint (who wanted typed-ast) came after."""
    build = ["error: Failed to build `typed-ast==1.4.3`", "  Caused by: The build backend returned an error"]
    build += [f"copying typed_ast/{i}.py -> build" for i in range(14)]
    build += ["ast27/Custom/typed_ast.c:1:10: fatal error: code.h: No such file or directory"]
    build += ["hint: `typed-ast` (v1.4.3) was included because `mypy` (v0.790) depends on `typed-ast>=1.4.0`"]
    log = write(tmp_path, {"b.log": "[prp] $ uv pip install\n" + "\n".join(build) + "\n"})
    message = failure_message(log / "b.log", "installing", 1)
    assert "fatal error: code.h: No such file or directory" in message
    assert "was included because `mypy` (v0.790) depends on" in message


def test_a_failed_build_is_tried_again_at_once_when_the_installers_settings_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """html5lib's user set ``UV_BUILD_CONSTRAINT`` (setuptools<81) after its build failed: the next
    run got "(the same build failed 21s ago)" for a minute, though the build would now work."""
    import time

    from prp_tasks.environments.store import EnvironmentStore, installer_settings
    from prp_tasks.settings import WorkspaceSettings

    for name in [k for k in os.environ if k.startswith(("UV_", "PIP_"))]:
        monkeypatch.delenv(name)
    store = EnvironmentStore(WorkspaceSettings(cache_dir=tmp_path))
    store.root.mkdir(parents=True)
    failed = {"at": time.time(), "message": "building failed", "settings": installer_settings()}
    (store.root / "k.failed.json").write_text(json.dumps(failed))
    with pytest.raises(EnvironmentSetupError, match="the same build failed"):
        store._recent_failure("k")
    monkeypatch.setenv("UV_BUILD_CONSTRAINT", "constraints.txt")
    store._recent_failure("k")  # other settings: built again
