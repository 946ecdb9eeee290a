"""Every exception prp-tasks raises on purpose, under one root: :class:`PrpError`.

A class docstring doubles as its default message. Families:

- input: :class:`InputError` and its subclasses (bad workflow, profile, blueprint, settings, a
  server below the supported floor);
  the CLI maps these to exit code 2 and the API to 4xx.
- state: :class:`RunNotFound`, :class:`GateNotFound`, :class:`ConflictError`, :class:`NotAuthorized`.
- infrastructure: :class:`StoreError`, :class:`EmbeddedServerError`.
- task outcomes: :class:`TaskOutcome` (:class:`CheckFailed`, :class:`SubmissionRefused`), raised by
  Celery tasks after their work so monitors (Flower, celery-exporter) count them as failed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where (a field path) and what."""

    loc: Loc
    message: str
    line: int | None = None

    def __post_init__(self) -> None:
        # A YAML key can be a date, float or bool; a loc holds only JSON-safe str and int parts.
        safe = tuple(p if type(p) in (str, int) else str(p) for p in self.loc)
        object.__setattr__(self, "loc", safe)

    def render(self, source: str | None = None) -> str:
        where = format_loc(self.loc)
        prefix = source or ""
        if self.line is not None:
            prefix = f"{prefix}:{self.line}" if prefix else f"line {self.line}"
        parts = [p for p in (prefix, where) if p]
        return ": ".join([*parts, self.message])


def format_loc(loc: Loc) -> str:
    """Render a field path as ``gates[2].checks[0].run``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class PrpError(Exception):
    """prp-tasks failed."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or (self.__doc__ or "").strip())

    @property
    def message(self) -> str:
        return str(self.args[0]) if self.args else ""


# Input ----------------------------------------------------------------------------------------


class InputError(PrpError):
    """Invalid input."""

    def __init__(
        self,
        message: str | None = None,
        *,
        problems: Sequence[Problem] = (),
        source: str | None = None,
    ) -> None:
        self.problems = tuple(problems)
        self.source = source
        if message is None and self.problems:
            message = "\n".join(p.render(source) for p in self.problems)
        elif message is not None and source:
            message = f"{source}: {message}"
        super().__init__(message)


class ConfigError(InputError):
    """Invalid configuration."""


class WorkflowError(InputError):
    """Invalid workflow."""


class ProfileError(InputError):
    """Invalid enforcement profile."""


class BlueprintError(InputError):
    """Invalid blueprint."""


class UnsupportedServer(InputError):
    """The Redis server is older than the oldest one prp-tasks supports."""


# State ----------------------------------------------------------------------------------------


class RunNotFound(PrpError):
    """No such run."""


class GateNotFound(PrpError):
    """No such gate in this run."""


class ConflictError(PrpError):
    """The request conflicts with the current state."""

    def __init__(self, message: str | None = None, *, state: str | None = None) -> None:
        super().__init__(message)
        self.state = state


class NotAuthorized(PrpError):
    """The actor may not do this."""


# Infrastructure ---------------------------------------------------------------------------------


class StoreError(PrpError):
    """The state store (Redis) failed."""


class NotReplicated(StoreError):
    """A transition reached the primary but not the replicas it had to wait for."""


class EmbeddedServerError(PrpError):
    """The embedded Redis server could not be started."""


class WorkspaceError(PrpError):
    """A check's source could not be prepared (unreachable remote, unknown commit, disk budget)."""


class ArtifactError(PrpError):
    """A check's declared file could not be stored or materialized (missing, oversized, bad hash)."""


# Task outcomes --------------------------------------------------------------------------------


class TaskOutcome(PrpError):
    """A Celery task ended in a failure state on purpose (its work, if any, already recorded)."""


class CheckFailed(TaskOutcome):
    """A check failed, timed out or was stopped by a cancel (its result is recorded)."""


class SubmissionRefused(TaskOutcome):
    """A raw-Celery submission was refused (nothing was submitted)."""
