"""The one configuration object: :class:`Settings`, read from ``PRP_*`` environment variables.

Build it at an entrypoint with :func:`load_settings` and pass it down; nothing reads the environment
elsewhere. Unknown ``PRP_*`` variables are errors (a typo such as ``PRP_REDIS_ULR`` is not ignored).
Its sections (queue classes, the profile cache, the HTTP API, notifications, workspaces) are nested
models in :mod:`.sections`, all importable from here.

May import: core, errors, routing. Nothing else of the project.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from prp_tasks.core.models import Role
from prp_tasks.errors import ConfigError
from prp_tasks.settings.sections import (
    DEFAULT_ENV_ALLOWLIST,
    ApiSettings,
    ApiToken,
    ApprovalQueue,
    AutomatedQueue,
    ControlQueue,
    NotifySettings,
    ProfileCacheSettings,
    Queues,
    QueueSettings,
    Webhook,
    WorkspaceSettings,
)

__all__ = [
    "DEFAULT_ENV_ALLOWLIST",
    "ApiSettings",
    "ApiToken",
    "ApprovalQueue",
    "AutomatedQueue",
    "ControlQueue",
    "NotifySettings",
    "ProfileCacheSettings",
    "QueueSettings",
    "Queues",
    "Settings",
    "Webhook",
    "WorkspaceSettings",
    "load_settings",
    "to_kombu_url",
    "unknown_env_keys",
]


class Settings(BaseSettings):
    """All knobs of prp-tasks. Every field maps to ``PRP_<FIELD>`` (nested: ``__``)."""

    model_config = SettingsConfigDict(
        env_prefix="PRP_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    #: state store and (by default) broker; unset means embedded mode for ``prp run``
    redis_url: str | None = None
    #: with Sentinels in PRP_REDIS_URL (``sentinel://HOST:PORT;sentinel://HOST:PORT``): the name
    #: of the master they watch
    redis_sentinel_master: str | None = None
    #: password of the Sentinels themselves (the master's goes in the URL: ``sentinel://:PW@HOST:PORT``)
    redis_sentinel_password: str | None = None
    #: transitions that matter (run creation, settles, decisions, cancellation, audit records)
    #: wait until this many replicas have them (``WAIT``); 0: acknowledged by the primary alone
    redis_wait_replicas: int = Field(default=0, ge=0, le=16)
    #: how long a transition waits for those replicas before it fails (and is retried)
    redis_wait_timeout_ms: int = Field(default=1000, ge=1, le=60_000)
    #: server binary of embedded mode: ``auto`` (a redis-server/valkey-server on PATH that meets
    #: the supported floor, else the bundled Valkey), ``bundled``, or a path to a binary
    embedded_server: str = Field(default="auto", min_length=1)
    #: where ``prp mcp``/``prp api`` keep their embedded server's state when PRP_REDIS_URL is unset
    #: (default: ``prp-tasks/state`` under the user's cache directory)
    state_dir: Path | None = None
    #: base concurrency of the automated class (the seed's spool), unless
    #: ``PRP_QUEUES__AUTOMATED__CONCURRENCY`` is set
    spool_concurrency: int = Field(default=1, ge=1, le=512)
    #: upper bound the automated pool adapts up to under load (prefork autoscale)
    spool_max_concurrency: int = Field(default=4, ge=1, le=512)
    #: runs executing at once across the deployment (0: no limit); more are queued, not refused
    max_runs_in_flight: int = Field(default=0, ge=0)
    #: gates of one run dispatched at once unless the workflow's budget says (0: no limit)
    run_max_gates_in_flight: int = Field(default=0, ge=0)
    #: how often (at most) the reconciler's round over every live run starts (a safety net, 100
    #: runs per sweep until it has seen them all; the repair loop runs with every sweep)
    reconcile_interval_s: float = Field(default=30.0, gt=0)
    #: follow-up work a crash left in a run's outbox, and a check message found neither queued,
    #: reserved nor executing, are re-driven this long after they were left or sent
    reconcile_grace_s: float = Field(default=3.0, ge=0)
    #: consecutive transient failures that open a check's circuit breaker
    breaker_threshold: int = Field(default=5, ge=1, le=1000)
    #: how long an open breaker fails calls fast before one trial call
    breaker_open_s: float = Field(default=30.0, gt=0)
    #: an adapted pool shrinks back after this long without new work
    autoscale_keepalive_s: float = Field(default=30, gt=0)
    #: do not grow while the host's 1-minute load per CPU is above this (back off when saturated)
    autoscale_max_load: float = Field(default=1.5, gt=0)
    #: broker when it differs from the state store (e.g. ``amqp://``)
    broker_url: str | None = None
    #: extra kombu transport options (JSON), e.g. ``{"master_name": "mymaster"}`` for Sentinel
    broker_transport_options: dict[str, str | int | float | bool] = Field(default_factory=dict)
    #: declare the queue classes as RabbitMQ quorum queues (replicated; AMQP brokers only)
    broker_quorum_queues: bool = False
    #: when the broker is the state Redis, check messages are queued by the dispatch transaction
    #: itself (one round trip, recorded exactly when queued); false: through Celery's send_task
    direct_publish: bool = True
    #: prefix of every Redis key the project writes
    key_prefix: str = Field(default="prp", pattern=r"^[A-Za-z0-9_.-]+$")
    #: how long a finished run's state and outputs are kept
    retention_s: int = Field(default=7 * 86400, ge=60)
    #: upper bound on the life of an unfinished run's state
    run_ttl_s: int = Field(default=30 * 86400, ge=60)
    #: default hard time limit of a check
    check_timeout_s: float = Field(default=600, gt=0)
    #: lease a running check holds (refreshed by a heartbeat); a dead holder frees it after this
    check_lease_s: float = Field(default=15, ge=0.5)
    #: executions of one check that may die without reporting before it fails as ``worker lost``
    max_lost_attempts: int = Field(default=3, ge=1, le=100)
    #: bytes of stdout/stderr kept (tail) in a command check's evidence
    output_tail_bytes: int = Field(default=4000, ge=200, le=1_000_000)
    #: environment variables passed to command checks (everything else is scrubbed)
    env_allowlist: tuple[str, ...] = DEFAULT_ENV_ALLOWLIST
    #: kombu Redis visibility timeout: unacked messages of a dead worker are redelivered after it
    visibility_timeout_s: int = Field(default=3600, ge=1)
    #: how often workers sweep for unacked messages older than the visibility timeout
    restore_interval_s: int = Field(default=10, ge=1)
    #: send Celery task events (Flower)
    task_events: bool = True
    queues: Queues = Queues()
    profile_cache: ProfileCacheSettings = ProfileCacheSettings()
    #: approval requests are announced in batches of up to this many, grouped by role
    approval_batch_size: int = Field(default=2, ge=1, le=1000)
    #: a partial batch is announced after waiting this long for more requests
    approval_batch_window_s: float = Field(default=2.0, ge=0)
    #: roles per actor, e.g. ``{"alice": ["code-reviewer"]}`` (JSON); unset with no file = open
    roles: dict[str, tuple[Role, ...]] = Field(default_factory=dict)
    #: YAML/JSON file mapping actors to roles (merged under ``roles``)
    roles_file: Path | None = None
    #: how often the sweeper expires, reminds, escalates and announces batches
    sweep_interval_s: float = Field(default=1.0, gt=0, le=3600)
    api: ApiSettings = ApiSettings()
    #: webhook notifications of approval requests (``PRP_NOTIFY__*``)
    notify: NotifySettings = NotifySettings()
    #: approximate cap of the ``prp:events`` stream (MAXLEN ~)
    events_maxlen: int = Field(default=100_000, ge=100)
    #: how often the metrics aggregate is refreshed (a scrape reads the last one)
    metrics_interval_s: float = Field(default=5.0, gt=0, le=3600)
    #: port of ``prp metrics serve``
    metrics_port: int = Field(default=9464, ge=1, le=65535)
    #: bind address of ``prp metrics serve`` (loopback, like the API; ``0.0.0.0`` in a container)
    metrics_host: str = "127.0.0.1"
    #: OTLP/HTTP metrics endpoint (e.g. http://collector:4318/v1/metrics); unset: no export
    otlp_endpoint: str | None = None
    #: OTLP/HTTP traces endpoint (e.g. http://collector:4318/v1/traces); unset: no trace export
    otlp_traces_endpoint: str | None = None
    #: also write finished spans as JSON lines to this file (debugging; the tests read it)
    trace_file: Path | None = None
    #: ``service.name`` of exported metrics and traces
    service_name: str = Field(default="prp-tasks", min_length=1, max_length=100)
    #: actor of decisions made through ``prp mcp`` (stdio); defaults to the OS user
    mcp_actor: str | None = None
    #: who decides with ``prp approve`` / ``prp reject`` when ``--as`` is not given (they say so on
    #: stderr); unset: ``--as`` is required (the OS user is never taken silently)
    actor: str | None = Field(default=None, min_length=1, max_length=200)
    #: worker-side checkouts and check environments (``PRP_WORKSPACE__*``)
    workspace: WorkspaceSettings = WorkspaceSettings()
    #: largest file a check may produce into Redis (larger ones need ``artifact_dir``)
    artifact_max_bytes: int = Field(default=8 * 1024**2, ge=1024, le=512 * 1024**2)
    #: shared directory (same mount on every worker) for produced files above ``artifact_max_bytes``
    artifact_dir: Path | None = None
    #: largest file stored in ``artifact_dir``
    artifact_dir_max_bytes: int = Field(default=2 * 1024**3, ge=1024)
    #: log format for services: json or console (auto: console when attached to a terminal)
    log_format: Literal["auto", "json", "console"] = "auto"
    #: log level of services (DEBUG, INFO, WARNING, ERROR)
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _spool_bounds(self) -> Settings:
        if self.spool_max_concurrency < self.spool_concurrency:
            raise ValueError("spool_max_concurrency must be at least spool_concurrency")
        return self

    @model_validator(mode="after")
    def _sentinel_master(self) -> Settings:
        sentinel = (self.redis_url or "").startswith("sentinel://")
        if sentinel and not self.redis_sentinel_master:
            raise ValueError(
                "PRP_REDIS_URL names Sentinels (sentinel://...): set PRP_REDIS_SENTINEL_MASTER to the "
                "name of the master they watch"
            )
        return self

    def queue(self, name: str) -> QueueSettings:
        """Effective settings of a queue class (the automated class takes the spool settings)."""
        configured = self.queues.get(name)
        if name != "automated":
            return configured
        explicit = configured.model_fields_set
        base = configured.concurrency if "concurrency" in explicit else self.spool_concurrency
        update = {"concurrency": base}
        if "max_concurrency" not in explicit:
            update["max_concurrency"] = max(self.spool_max_concurrency, base)
        return QueueSettings.model_validate({**configured.model_dump(), **update})

    @property
    def embedded(self) -> bool:
        return self.redis_url is None

    @property
    def broker(self) -> str:
        url = self.broker_url or self.redis_url
        if url is None:
            raise ConfigError("PRP_REDIS_URL is not set")
        return to_kombu_url(url)


def to_kombu_url(url: str) -> str:
    """redis-py's ``unix:///path`` becomes kombu's ``redis+socket:///path``."""
    if url.startswith("unix://"):
        return "redis+socket://" + url[len("unix://") :]
    return url


def unknown_env_keys(environ: Mapping[str, str]) -> list[str]:
    """``PRP_*`` variables that match no top-level setting."""
    fields = {name.upper() for name in Settings.model_fields}
    out = []
    for key in environ:
        if not key.startswith("PRP_"):
            continue
        head = key[4:].split("__", 1)[0]
        if head not in fields:
            out.append(key)
    return sorted(out)


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, refusing unknown ``PRP_*`` keys; ``overrides`` win."""
    unknown = unknown_env_keys(os.environ)
    if unknown:
        raise ConfigError("unknown setting(s): " + "; ".join(_describe_unknown(key) for key in unknown))
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigError(_format_validation(exc)) from None
    except SettingsError as exc:  # a list/dict variable that is not valid JSON
        match = re.search(r'field "([^"]+)"', str(exc))
        name = f"PRP_{match.group(1).upper()}" if match else "a PRP_* variable"
        cause = f" ({exc.__cause__})" if exc.__cause__ else ""
        raise ConfigError(
            f"{name}: not valid JSON{cause}; lists and maps are given as JSON, "
            'e.g. PRP_ENV_ALLOWLIST=\'["PATH", "HOME"]\''
        ) from None


def _describe_unknown(key: str) -> str:
    fields = [f"PRP_{name.upper()}" for name in Settings.model_fields]
    close = difflib.get_close_matches(key.split("__", 1)[0], fields, n=1)
    return f"{key} (did you mean {close[0]}?)" if close else key


def _format_validation(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        name = "PRP_" + "__".join(str(p).upper() for p in err["loc"])
        parts.append(f"{name}: {err['msg']}")
    return "invalid setting(s): " + "; ".join(parts)
