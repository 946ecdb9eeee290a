"""Every Redis key prp-tasks writes, built in one place.

Layout (``P`` = settings.key_prefix, ``{R}`` = run id in a hash tag so a run's keys share a slot):

    P:run:{R}                 hash   run meta: spec JSON, status, counters, timestamps
    P:run:{R}:status          hash   gate id -> gate status
    P:run:{R}:deps            hash   gate id -> dependencies not yet passed
    P:run:{R}:left            hash   gate id -> checks not yet reported
    P:run:{R}:started         hash   gate id -> ISO time dispatched
    P:run:{R}:records         hash   gate id -> GateRecord JSON (settled or parked gates)
    P:run:{R}:checks          hash   "gate/check" -> CheckResult JSON (claimed once)
    P:run:{R}:attempts        hash   "gate/check|starts" / "|ends" -> execution counters
    P:run:{R}:lease:G/C       string execution token of the check's live holder (TTL)
    P:run:{R}:events          list   gate start/settle events (JSON), in order
    P:run:{R}:audit           stream append-only audit trail of the run (approvals, cancel)
    P:run:{R}:requests        hash   gate -> ApprovalRequest JSON (parked gates)
    P:run:{R}:votes           hash   "gate|actor" -> HumanApproval JSON; "gate|#" -> approvals
    P:run:{R}:preapprovals    hash   "gate|actor" -> HumanApproval JSON given before the gate parked
    P:run:{R}:outputs         hash   output / artifact name -> content
    P:run:{R}:files           hash   "gate/name" -> ArtifactMeta JSON of a file a check produced
    P:run:{R}:blob:SHA        string a produced file's bytes, by sha256 (run's TTL)
    P:run:{R}:dispatched      hash   "gate/check" -> {task_id, at_ms} of its latest message
    P:run:{R}:outbox          hash   follow-up work a state change left to do: start:GATE,
                                     complete:GATE, preapproval:GATE, finalize (-> sent ms)
    P:run:{R}:tokens          hash   "#used" and gate -> tokens charged to the run's budget
    P:run:{R}:slots           set    gates holding one of the run's in-flight slots
    P:run:{R}:waiting         list   ready gates waiting for a slot, in order
    P:run:{R}:final           channel Pub/Sub: the run's status, once its finalization is done
    P:runs                    zset   run id -> created (ms), for listing
    P:runs:live               set    runs not finalized yet (reconciled periodically)
    P:outbox                  zset   run id -> when the repair loop looks at its outbox (ms)
    P:dispatch:index          zset   JSON [run, "gate/check"] -> when the repair loop looks whether
                                     its message is still alive (ms); gone once its result is in
    P:repair:last             string time (ms) of the last repair pass (prp doctor, worker-check)
    P:repair:cursor           string where the safety net's round over the live runs stands (SSCAN)
    P:audit                   stream global audit trail (MAXLEN ~100000)
    P:events                  stream lifecycle events, CloudEvents envelopes (MAXLEN ~)
    P:metrics                 hash   metric field -> value (see prp_tasks.telemetry.schema)
    P:approvals:pending       zset   "run/gate" -> requested (ms): parked gates, oldest first
    P:approvals:deadlines     zset   "run/gate" -> deadline (ms), swept for expiry
    P:approvals:reminders     zset   "run/gate" -> next reminder (ms)
    P:approvals:escalations   zset   "run/gate" -> escalation time (ms)
    P:approvals:preapproved   set    "run/gate" with pre-approvals not yet applied
    P:approvals:batch:ROLE    hash   the open notification batch of a role (id, created)
    P:approvals:batch-items:B list   "run/gate" members of batch B
    P:notify:announced        zset   published batch id -> when (ms): webhooks not notified yet
    P:notify:due              zset   delivery id -> next attempt (ms)
    P:notify:items            hash   delivery id -> delivery JSON (webhook, body, attempts)
    P:lock:sweeper            string the sweeper's lease (one sweeper at a time)
    P:lock:notifier           string the webhook sender's lease (one sender at a time)
    P:worker:NODE             string a worker's health beat (JSON, TTL 30 s)
    P:admission:active        set    runs executing (with PRP_MAX_RUNS_IN_FLIGHT)
    P:admission:queue         zset   queued runs -> created (ms), admitted oldest first
    P:budget:deadlines        zset   run -> wall-clock budget deadline (ms)
    P:breaker:NAME            hash   a circuit breaker shared by all workers
    P:reuse:SHA               string a reusable passing check result, by input digest (TTL)
    P:idempotency:SHA         string {run_id, fingerprint} claimed by a submission key (TTL)
    P:ratelimit:W:ID          string API requests of identity ID in minute W (TTL 120 s)

Approval and audit scripts also write the global keys above; those live outside the run's slot,
so (like Celery's own keys) the layout targets a single Redis primary, not Redis Cluster.
    P:profile:V:SHA           string parsed profile JSON, TTL refreshed on hits
    P:profile-error:V:SHA     string problems of content that failed to parse, short TTL
    P:profile-lock:V:SHA      string single-flight lock while one process parses
    P:profiles                zset   profile key -> last use, bounds the cache size
    P:stats:profile-cache     hash   cache counters (hits, misses, parses, ...)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple


class SettleKeys(NamedTuple):
    """Keys of every script that settles a gate (``SETTLE_KEYS`` in ``lua/prelude.lua``)."""

    meta: str
    status: str
    deps: str
    records: str
    started: str
    events: str
    audit: str
    outputs: str
    global_audit: str
    metrics: str
    outbox: str
    outbox_index: str
    dispatched: str
    dispatch_index: str
    lifecycle: str
    slots: str
    waiting: str


class ClaimKeys(NamedTuple):
    """What claiming a check's result needs besides the settle keys (``CLAIM_KEYS``)."""

    checks: str
    left: str
    lease: str
    files: str
    breaker: str  #: '' when the check has no breaker


@dataclass(frozen=True)
class RunKeys:
    """Keys of one run."""

    prefix: str
    run_id: str

    @property
    def base(self) -> str:
        return f"{self.prefix}:run:{{{self.run_id}}}"

    @property
    def meta(self) -> str:
        return self.base

    @property
    def status(self) -> str:
        return f"{self.base}:status"

    @property
    def deps(self) -> str:
        return f"{self.base}:deps"

    @property
    def left(self) -> str:
        return f"{self.base}:left"

    @property
    def started(self) -> str:
        return f"{self.base}:started"

    @property
    def records(self) -> str:
        return f"{self.base}:records"

    @property
    def checks(self) -> str:
        return f"{self.base}:checks"

    @property
    def attempts(self) -> str:
        return f"{self.base}:attempts"

    @property
    def events(self) -> str:
        return f"{self.base}:events"

    @property
    def audit(self) -> str:
        return f"{self.base}:audit"

    @property
    def requests(self) -> str:
        return f"{self.base}:requests"

    @property
    def votes(self) -> str:
        return f"{self.base}:votes"

    @property
    def preapprovals(self) -> str:
        return f"{self.base}:preapprovals"

    @property
    def outputs(self) -> str:
        return f"{self.base}:outputs"

    @property
    def dispatched(self) -> str:
        return f"{self.base}:dispatched"

    @property
    def tokens(self) -> str:
        return f"{self.base}:tokens"

    @property
    def slots(self) -> str:
        return f"{self.base}:slots"

    @property
    def waiting(self) -> str:
        return f"{self.base}:waiting"

    @property
    def files(self) -> str:
        return f"{self.base}:files"

    @property
    def outbox(self) -> str:
        return f"{self.base}:outbox"

    @property
    def final_channel(self) -> str:
        """Pub/Sub channel: the finalization publishes the run's status (not a key: nothing kept)."""
        return f"{self.base}:final"

    def blob(self, sha256: str) -> str:
        return f"{self.base}:blob:{sha256}"

    def lease(self, gate_id: str, check: str) -> str:
        return f"{self.base}:lease:{check_field(gate_id, check)}"

    def all_state(self) -> tuple[str, ...]:
        """Every long-lived key of the run (those that get the retention TTL)."""
        return (
            self.meta,
            self.status,
            self.deps,
            self.left,
            self.started,
            self.records,
            self.checks,
            self.attempts,
            self.events,
            self.audit,
            self.requests,
            self.votes,
            self.preapprovals,
            self.outputs,
            self.files,
            self.dispatched,
            self.tokens,
            self.slots,
            self.waiting,
        )


def check_field(gate_id: str, check: str) -> str:
    """Field of a check inside the run's ``checks``/``attempts`` hashes."""
    return f"{gate_id}/{check}"


@dataclass(frozen=True)
class Keys:
    """Key builder for one key prefix."""

    prefix: str = "prp"

    def run(self, run_id: str) -> RunKeys:
        return RunKeys(self.prefix, run_id)

    @property
    def runs(self) -> str:
        return f"{self.prefix}:runs"

    @property
    def outbox_index(self) -> str:
        """``P:outbox`` zset: run id -> when the repair loop looks at the run's outbox (ms)."""
        return f"{self.prefix}:outbox"

    @property
    def dispatch_index(self) -> str:
        """``P:dispatch:index`` zset: JSON [run, "gate/check"] -> when to look at its message (ms)."""
        return f"{self.prefix}:dispatch:index"

    @property
    def repair_cursor(self) -> str:
        """``P:repair:cursor`` string: the ``SSCAN`` cursor over ``P:runs:live`` of the safety
        net's round in progress (none: no round in progress)."""
        return f"{self.prefix}:repair:cursor"

    @property
    def repair_last(self) -> str:
        """``P:repair:last`` string: time (ms) of the last repair pass."""
        return f"{self.prefix}:repair:last"

    def settle(self, run_id: str) -> SettleKeys:
        k = self.run(run_id)
        return SettleKeys(
            meta=k.meta,
            status=k.status,
            deps=k.deps,
            records=k.records,
            started=k.started,
            events=k.events,
            audit=k.audit,
            outputs=k.outputs,
            global_audit=self.audit,
            metrics=self.metrics,
            outbox=k.outbox,
            outbox_index=self.outbox_index,
            dispatched=k.dispatched,
            dispatch_index=self.dispatch_index,
            lifecycle=self.events,
            slots=k.slots,
            waiting=k.waiting,
        )

    def claim(self, run_id: str, gate_id: str, check: str, breaker: str | None = None) -> ClaimKeys:
        k = self.run(run_id)
        return ClaimKeys(k.checks, k.left, k.lease(gate_id, check), k.files, breaker or "")

    @property
    def live_runs(self) -> str:
        """``P:runs:live`` set: runs not finalized yet (what the reconciler looks at)."""
        return f"{self.prefix}:runs:live"

    @property
    def audit(self) -> str:
        return f"{self.prefix}:audit"

    @property
    def events(self) -> str:
        """``P:events`` stream: lifecycle events (CloudEvents envelopes), capped."""
        return f"{self.prefix}:events"

    @property
    def metrics(self) -> str:
        """``P:metrics`` hash: counters, histogram buckets and state gauges, summed over workers."""
        return f"{self.prefix}:metrics"

    def approvals(self, index: str) -> str:
        """Global approval index: pending, deadlines, reminders, escalations or preapproved."""
        return f"{self.prefix}:approvals:{index}"

    def batch(self, role: str) -> str:
        return f"{self.prefix}:approvals:batch:{role}"

    def notify(self, name: str) -> str:
        """Webhook notifications: ``announced`` batches, ``due`` deliveries, delivery ``items``."""
        return f"{self.prefix}:notify:{name}"

    @property
    def batch_items_prefix(self) -> str:
        return f"{self.prefix}:approvals:batch-items:"

    def idempotency(self, digest: str) -> str:
        """``P:idempotency:SHA`` string: the run a submission key claimed (sha256 of the key)."""
        return f"{self.prefix}:idempotency:{digest}"

    def rate_limit(self, identity: str, window: int) -> str:
        """``P:ratelimit:WINDOW:IDENTITY`` counter of one API caller in one minute (TTL 120 s)."""
        return f"{self.prefix}:ratelimit:{window}:{identity}"

    def admission(self, kind: str) -> str:
        """``P:admission:active`` set (runs executing) / ``P:admission:queue`` zset (runs waiting)."""
        return f"{self.prefix}:admission:{kind}"

    @property
    def budget_deadlines(self) -> str:
        """``P:budget:deadlines`` zset: run -> wall-clock budget deadline (ms), swept."""
        return f"{self.prefix}:budget:deadlines"

    def breaker(self, name: str) -> str:
        """``P:breaker:NAME`` hash: a shared circuit breaker (state, failures, trial)."""
        return f"{self.prefix}:breaker:{name}"

    def reuse(self, digest: str) -> str:
        """``P:reuse:SHA`` string: a passing check result reusable on the same inputs (TTL)."""
        return f"{self.prefix}:reuse:{digest}"

    def worker(self, node: str) -> str:
        """``P:worker:NODE`` string: a worker's health beat (JSON, expires when it stops beating)."""
        return f"{self.prefix}:worker:{node}"

    def lock(self, name: str) -> str:
        """``P:lock:NAME`` string: a named lease one process holds at a time (``sweeper``: the
        sweeper's pass; ``notifier``: the webhook sender), with the holder's token (PX)."""
        return f"{self.prefix}:lock:{name}"

    # parsed-profile cache (content addressed: sha256 of the file bytes + parser/schema version)

    def profile(self, version: str, sha256: str) -> str:
        """``P:profile:VERSION:SHA`` string: the parsed profile (or its error) as JSON (TTL)."""
        return f"{self.prefix}:profile:{version}:{sha256}"

    def profile_error(self, version: str, sha256: str) -> str:
        """``P:profile-error:VERSION:SHA`` string: a parse error, kept briefly (never refreshed)."""
        return f"{self.prefix}:profile-error:{version}:{sha256}"

    def profile_lock(self, version: str, sha256: str) -> str:
        """``P:profile-lock:VERSION:SHA`` string: single-flight lock of the one parser (PX)."""
        return f"{self.prefix}:profile-lock:{version}:{sha256}"

    @property
    def profile_index(self) -> str:
        """``P:profiles`` zset: cached profile key -> last use (ms); bounds the entry count."""
        return f"{self.prefix}:profiles"

    @property
    def profile_stats(self) -> str:
        """``P:stats:profile-cache`` hash: hit/miss/parse counters summed over every process."""
        return f"{self.prefix}:stats:profile-cache"
