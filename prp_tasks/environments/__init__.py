"""Check environments: where a ``run`` check's ``python``, ``pytest`` … come from.

A check runs in the target project's environment, never in prp-tasks' own: the repository's
``.venv``, an existing environment it names, an isolated one built (and cached) for its
dependency declarations, or the worker's system PATH without prp's virtualenv. See
the environments guide in ``docs/``.

May import: workspaces (the cache directory), processes (builds run as the user's processes do),
core, errors, settings.
"""

from __future__ import annotations

from prp_tasks.environments.projectfiles import EnvironmentSetupError
from prp_tasks.environments.resolve import Environments, Prepared

__all__ = ["EnvironmentSetupError", "Environments", "Prepared"]
