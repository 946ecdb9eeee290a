"""Acceptance fixtures shared by the CLI and the Procfile tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT

DEMO = ROOT / "examples" / "demo-repo"


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """A private copy of the demo repository (its tests write coverage files)."""
    target = tmp_path / "demo-repo"
    shutil.copytree(
        DEMO, target, ignore=shutil.ignore_patterns(".prp", ".coverage", "coverage.xml", "*_cache")
    )
    return target
