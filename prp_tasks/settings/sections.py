"""The sections of :class:`~prp_tasks.settings.Settings`: queue classes, the profile cache, the HTTP
API, approval notifications and workspaces (``PRP_<SECTION>__<FIELD>``), each a nested model."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, SecretStr, model_validator

from prp_tasks.core.models import Role
from prp_tasks.errors import ConfigError
from prp_tasks.routing import QUEUE_CLASSES


class QueueSettings(BaseModel):
    """How workers of one queue class run."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    concurrency: int = Field(default=4, ge=1, le=512)
    #: upper bound of an adaptive (prefork) pool; None: fixed at ``concurrency``
    max_concurrency: int | None = Field(default=None, ge=1, le=512)
    pool: Literal["prefork", "threads", "solo"] = "prefork"
    prefetch_multiplier: int = Field(default=1, ge=1, le=256)
    max_tasks_per_child: int | None = Field(default=None, ge=1)
    #: hard / soft time limit of any task of this class (checks also carry their own limit)
    time_limit_s: float | None = Field(default=None, gt=0)
    soft_time_limit_s: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _bounds(self) -> QueueSettings:
        if self.max_concurrency is not None and self.max_concurrency < self.concurrency:
            raise ValueError("max_concurrency must be at least concurrency")
        return self

    @property
    def adaptive(self) -> bool:
        """Autoscaled between ``concurrency`` and ``max_concurrency`` (prefork pools only)."""
        return self.pool == "prefork" and (self.max_concurrency or 0) > self.concurrency

    @property
    def upper(self) -> int:
        return self.max_concurrency or self.concurrency


class AutomatedQueue(QueueSettings):
    """Checks: CPU and subprocess work, so processes by default; concurrency from the spool settings."""


class ApprovalQueue(QueueSettings):
    """Approval bookkeeping: short Redis work, threads."""

    concurrency: int = Field(default=2, ge=1, le=512)
    pool: Literal["prefork", "threads", "solo"] = "threads"


class ControlQueue(QueueSettings):
    """Finalizations sent as messages (after a decision, a cancel or a crash; a check task that
    settles its run's last gate finalizes the run itself) and raw-Celery submissions: short Redis
    work, threads."""

    pool: Literal["prefork", "threads", "solo"] = "threads"


class Queues(BaseModel):
    """Per-class worker settings (``PRP_QUEUES__AUTOMATED__CONCURRENCY=8``).

    Each class has its own defaults, so setting one variable keeps the class's other defaults.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    automated: AutomatedQueue = AutomatedQueue()
    approval: ApprovalQueue = ApprovalQueue()
    control: ControlQueue = ControlQueue()

    def get(self, name: str) -> QueueSettings:
        """The class's settings as configured (see :meth:`Settings.queue` for the effective ones)."""
        if name not in QUEUE_CLASSES:
            raise ConfigError(f"unknown queue class {name!r} (known: {', '.join(QUEUE_CLASSES)})")
        settings: QueueSettings = getattr(self, name)
        return settings


class ProfileCacheSettings(BaseModel):
    """The parsed-profile cache (``PRP_PROFILE_CACHE__TTL_S`` …)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: life of a cached profile in Redis and in-process, refreshed on every hit
    ttl_s: int = Field(default=86400, ge=1)
    #: entries kept in Redis; the least recently used beyond this are deleted by the cache
    max_entries: int = Field(default=1000, ge=1)
    #: life of a cached parse error
    error_ttl_s: float = Field(default=60, gt=0)
    #: entries kept in each process's LRU
    local_size: int = Field(default=256, ge=1)
    #: how long a process waits for another one's parse of the same content
    wait_s: float = Field(default=2.0, ge=0)
    #: single-flight lock life (a crashed parser frees it after this)
    lock_s: float = Field(default=10.0, gt=0)


class ApiToken(BaseModel):
    """One API token: stored as the sha256 of the token (``prp api hash-token``), never in clear."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    #: who the token's holder is: the actor of every decision made with it
    identity: str = Field(min_length=1, max_length=200)
    #: approval roles the holder may decide as
    roles: tuple[Role, ...] = ()
    #: may create, cancel and re-run runs (this executes the submitted workflow's commands)
    submit: bool = False


class ApiSettings(BaseModel):
    """The HTTP API and MCP over HTTP (``PRP_API__PORT`` …)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    #: API tokens (JSON list of {sha256, identity, roles, submit})
    tokens: tuple[ApiToken, ...] = ()
    #: a YAML/JSON file with a list of tokens (merged with ``tokens``)
    tokens_file: Path | None = None
    #: requests per token per minute; 0 disables the limit
    rate_limit_per_min: int = Field(default=600, ge=0)
    #: browser origins allowed to call the API (CORS); empty means none
    cors_origins: tuple[str, ...] = ()
    #: largest accepted request body
    max_body_bytes: int = Field(default=256 * 1024, ge=1024)
    #: directories under which submitted repositories must lie (empty: anywhere)
    repo_roots: tuple[Path, ...] = ()


class Webhook(BaseModel):
    """One webhook notified of approval requests (batches), reminders and escalations."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: the approval role whose requests it receives ("*": every role)
    role: Role | Literal["*"]
    #: where notifications are POSTed (http or https)
    url: AnyHttpUrl
    #: ``json``: the generic payload; ``slack``: a Slack incoming-webhook message (text + blocks)
    format: Literal["json", "slack"] = "json"
    #: HMAC-SHA256 key of the ``X-PRP-Signature`` header (unset: unsigned)
    secret: SecretStr | None = None


class NotifySettings(BaseModel):
    """Webhook notifications (``PRP_NOTIFY__WEBHOOKS`` …), delivered by the sweeper's webhook
    sender (a thread of its own, every ``PRP_SWEEP_INTERVAL_S``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: JSON list of {role, url, format, secret}
    webhooks: tuple[Webhook, ...] = ()
    #: one delivery attempt's time limit
    timeout_s: float = Field(default=5.0, gt=0, le=60)
    #: attempts before a delivery is given up (recorded as ``notification.failed``)
    max_attempts: int = Field(default=6, ge=1, le=50)
    #: wait before the first retry; doubles per attempt up to ``backoff_max_s``
    backoff_s: float = Field(default=2.0, gt=0, le=3600)
    #: the longest wait between two attempts
    backoff_max_s: float = Field(default=300.0, gt=0, le=86400)
    #: deliveries attempted per pass of the sender (the rest wait for the next one)
    per_sweep: int = Field(default=20, ge=1, le=1000)
    #: base URL of the web pages for links in messages (e.g. https://prp.example.com)
    public_url: str = Field(default="", max_length=400)


class WorkspaceSettings(BaseModel):
    """Where a worker keeps git mirrors and per-run worktrees (``PRP_WORKSPACE__CACHE_DIR``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    #: worker-local cache: ``mirrors/`` (bare, one per remote) and ``worktrees/`` (one per run);
    #: unset: ``$XDG_CACHE_HOME/prp-tasks`` (``~/.cache/prp-tasks``); below a hidden folder, the
    #: worktrees go to ``/var/tmp/prp-tasks-UID-HASH/`` (tools may leave out paths below dot folders)
    cache_dir: Path | None = None
    #: disk budget of the cache; least recently used worktrees (then mirrors) not in use are evicted
    max_bytes: int = Field(default=5 * 1024**3, ge=1024 * 1024)
    #: remote URL prefixes runs may use (empty: any ``https://``, ``ssh://``, ``git@``, ``file://``)
    allowed_remotes: tuple[str, ...] = ()
    #: time limit of one git clone/fetch/worktree command
    git_timeout_s: float = Field(default=300, gt=0)
    #: disk budget of the isolated check environments (``envs/`` in the cache); least recently
    #: used environments not in use are removed
    env_max_bytes: int = Field(default=10 * 1024**3, ge=1024 * 1024)
    #: at most this many isolated environments are kept (least recently used removed first)
    env_max_count: int = Field(default=20, ge=1, le=10_000)
    #: time limit of building one isolated environment (creating it and installing into it)
    env_build_timeout_s: float = Field(default=1800, gt=0)
    #: what builds isolated environments: ``auto`` (uv when available, else venv + pip), ``uv``, ``pip``
    env_installer: Literal["auto", "uv", "pip"] = "auto"


DEFAULT_ENV_ALLOWLIST = (
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TZ",
    "TMPDIR",
    "TERM",
    "USER",
    "LOGNAME",
    "SHELL",
    "SYSTEMROOT",
    # which certificate authorities TLS trusts (paths, no secrets; tox passes them too): without
    # them a test that reaches an index through a TLS-inspecting proxy fails where the project's
    # own run passes (PyPA build's uv tests: "invalid peer certificate: UnknownIssuer")
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "PIP_CERT",
)
