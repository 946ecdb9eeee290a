"""prp-tasks: PRP quality-gate workflows (G0–G7) as a dependency DAG on Celery + Redis."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["Client", "PrpError", "RunHandle", "__version__"]

if TYPE_CHECKING:
    from prp_tasks.client import Client, RunHandle
    from prp_tasks.errors import PrpError


def __getattr__(name: str) -> Any:
    """Lazy re-exports (PEP 562), so ``import prp_tasks`` stays cheap for the core and the CLI and
    no module of the package depends on the client through its parent package."""
    if name in ("Client", "RunHandle"):
        return getattr(importlib.import_module("prp_tasks.client"), name)
    if name == "PrpError":
        return importlib.import_module("prp_tasks.errors").PrpError
    raise AttributeError(name)
