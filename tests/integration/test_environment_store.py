"""The isolated environments' store on its own: the installer it builds with, the cache's size
limit, and how long a check waited for another check's build of its environment."""

from __future__ import annotations

import re
import subprocess
import threading
import time
from pathlib import Path

from prp_tasks.core.models import EnvironmentSpec
from prp_tasks.environments.project import BuildPlan, plan
from prp_tasks.environments.resolve import brief, note
from prp_tasks.environments.store import EnvironmentStore
from prp_tasks.settings import WorkspaceSettings
from prp_tasks.workspaces.locks import acquire
from tests.integration.test_environments import tiny_wheel


def test_without_uv_an_environment_is_built_with_venv_and_pip(tmp_path: Path) -> None:
    wheel = tiny_wheel(tmp_path, where="pip")
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "requirements.txt").write_text(f"{wheel}\n")
    store = EnvironmentStore(WorkspaceSettings(cache_dir=tmp_path / "cache", env_installer="pip"))
    started = time.monotonic()
    with store.hold(plan(tmp_path / "p", EnvironmentSpec()), None, threading.Event()) as held:
        assert held.built and held.record["installer"] == "pip"
        out = subprocess.run(
            [held.path / "bin" / "python", "-c", "import tinydep; print(tinydep.WHERE)"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert out.stdout == "pip\n"
    assert time.monotonic() - started < 60


def tiny_store(tmp_path: Path) -> tuple[EnvironmentStore, BuildPlan]:
    """A store in ``tmp_path`` and the plan of a project needing one tiny local wheel."""
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "requirements.txt").write_text(f"{tiny_wheel(tmp_path / 'p')}\n")
    return EnvironmentStore(WorkspaceSettings(cache_dir=tmp_path / "cache")), plan(
        tmp_path / "p", EnvironmentSpec()
    )


def test_a_check_that_waited_for_another_checks_build_says_how_long(tmp_path: Path) -> None:
    """cachelib: its tests "passed in 1 min 01 s" for 1.39 s of tests, the minute spent waiting for
    the lint's build of the same environment, said nowhere (the build was the lint's)."""
    store, build = tiny_store(tmp_path)
    with store.hold(build, None, threading.Event()) as first:
        assert first.built and note(first).startswith("environment: built in ")
        key = first.record["key"]
    with store.hold(build, None, threading.Event()) as ready:  # built already: nothing to say
        assert (ready.built, note(ready), "waited_ms" in brief(ready)) == (False, "", False)
    builder = acquire(store.root.parent / "locks" / f"env-{key}.lock")  # another check building it
    assert builder is not None
    threading.Timer(1.5, builder.release).start()
    with store.hold(build, None, threading.Event()) as waited:
        assert not waited.built and waited.waited_s >= 1.4
        assert re.fullmatch(r"environment: waited 1\.\ds for another check's build", note(waited))
        assert brief(waited)["waited_ms"] >= 1400


def test_a_check_waiting_to_build_takes_the_environment_once_another_check_built_it(tmp_path: Path) -> None:
    """sh: its format check "passed in 1 min 17 s (75.9 s of it waiting for its environment's
    build)", the build 1.7 s: it waited for the lock to build while the check that had built the
    environment ran its tests with it (75.9 s)."""
    store, build = tiny_store(tmp_path)
    with store.hold(build, None, threading.Event()) as first:
        key = first.record["key"]
    meta = store.root / f"{key}.json"
    meta.rename(meta.with_suffix(".aside"))  # not built yet, as the other check found it
    user = acquire(store.root.parent / "locks" / f"env-{key}.lock", shared=True)  # the builder, running
    assert user is not None
    threading.Timer(1.0, meta.with_suffix(".aside").rename, [meta]).start()  # its build done
    done = threading.Timer(10.0, user.release)  # its tests done (the wait's end, had it not ended)
    done.start()
    started = time.monotonic()
    with store.hold(build, None, threading.Event()) as waited:  # (before the tests are done)
        assert not waited.built and time.monotonic() - started < 4, time.monotonic() - started
        assert 0.9 <= waited.waited_s < 4
    done.cancel()
    user.release()


def test_the_cache_keeps_at_most_env_max_count_environments_sparing_those_in_use(tmp_path: Path) -> None:
    store = EnvironmentStore(WorkspaceSettings(cache_dir=tmp_path / "cache", env_max_count=1))
    plans = []
    for name in ("one", "two", "three"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "requirements.txt").write_text(f"{tiny_wheel(tmp_path / name, name)}\n")
        plans.append(plan(tmp_path / name, EnvironmentSpec()))
    stop = threading.Event()
    with store.hold(plans[0], None, stop) as first, store.hold(plans[1], None, stop) as second:
        assert sorted(store.keys()) == sorted([first.record["key"], second.record["key"]])  # both in use
    with store.hold(plans[2], None, stop) as third:
        assert store.keys() == [third.record["key"]]  # the least recently used went first


def test_a_requirement_file_gluing_an_option_to_its_value_is_installed_with_uv(tmp_path: Path) -> None:
    """progressbar2 4.5.0's tests/requirements.txt is ``-e.[tests]``: pip reads it, uv refused it
    ("Expected '=' or whitespace, found Some('.')"), and every check failed before it ran."""
    wheel = tiny_wheel(tmp_path)
    project = tmp_path / "p"
    (project / "tests").mkdir(parents=True)
    (project / "pb").mkdir()
    (project / "pb" / "__init__.py").write_text("")
    (project / "pyproject.toml").write_text(
        "[build-system]\nrequires = ['setuptools']\nbuild-backend = 'setuptools.build_meta'\n"
        "[project]\nname = 'pb'\nversion = '1.0'\n"
        f"[project.optional-dependencies]\ntests = ['tinydep @ {wheel.as_uri()}']\n"
    )
    (project / "tests" / "more.txt").write_text("")
    (project / "tests" / "requirements.txt").write_text("-e.[tests]\n-rmore.txt\n")
    store = EnvironmentStore(WorkspaceSettings(cache_dir=tmp_path / "cache"))
    with store.hold(plan(project, EnvironmentSpec()), None, threading.Event()) as held:
        assert held.built and held.record["installer"] == "uv"
        assert any(p.startswith("tinydep") for p in held.record["installed"]), held.record["installed"]
