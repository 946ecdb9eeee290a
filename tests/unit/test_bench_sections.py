"""The throughput benchmark's instrumented sections name code that exists (``--profile`` would
fail at worker start-up otherwise, as it did once a function moved)."""

from __future__ import annotations

import importlib
import sys

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
from _instrument import SECTIONS


@pytest.mark.parametrize(("module", "attr"), SECTIONS)
def test_every_section_resolves(module: str, attr: str) -> None:
    owner: object = importlib.import_module(module)
    for part in attr.split("."):
        owner = getattr(owner, part)
    assert callable(owner)
