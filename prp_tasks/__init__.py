"""prp-tasks: PRP quality-gate workflows (G0–G7) as a dependency DAG on Celery + Redis."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["Client", "PrpError", "RunHandle", "__version__"]

if TYPE_CHECKING:
    from prp_tasks.client import Client, RunHandle
    from prp_tasks.errors import PrpError


def __getattr__(name: str) -> Any:
    """Lazy re-exports, so ``import prp_tasks`` stays cheap for the core and the CLI."""
    if name in ("Client", "RunHandle"):
        from prp_tasks import client

        return getattr(client, name)
    if name == "PrpError":
        from prp_tasks.errors import PrpError

        return PrpError
    raise AttributeError(name)
