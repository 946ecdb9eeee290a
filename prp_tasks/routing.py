"""Queue classes, broker queue names and task names: spelled here once, imported everywhere.

A gate names a *queue class*; automated checks and human-approval work go to separate classes
so a worker pool can be sized (and scaled) for each. Each class is one broker queue, and every
message is one of three tasks. A leaf module: it imports nothing of the project.
"""

from __future__ import annotations

#: the queue classes, in the order ``prp worker`` consumes them by default
QUEUE_CLASSES = ("automated", "approval", "control")
#: the class of work that is neither a check nor an approval (finalizing, submissions)
CONTROL = "control"
#: the class a gate runs in when its workflow names none
DEFAULT_QUEUE_CLASS = "automated"

#: execute one check of one gate (its queue class follows the gate)
RUN_CHECK = "prp.run_check"
#: render and commit a run's outputs once every gate settled
FINALIZE_RUN = "prp.finalize_run"
#: submit a run from raw Celery (``send_task("prp.submit_run", kwargs=...)``)
SUBMIT_RUN = "prp.submit_run"

#: where Celery puts a message sent without ``queue=`` (by an app without prp's routes): no prp
#: worker consumes it, so ``prp doctor`` reports messages waiting there
CELERY_DEFAULT_QUEUE = "celery"

#: task name -> queue class; None: the message's own ``queue`` argument (its gate's class)
TASK_QUEUE_CLASS: dict[str, str | None] = {
    RUN_CHECK: None,
    FINALIZE_RUN: CONTROL,
    SUBMIT_RUN: CONTROL,
}


def queue_name(queue_class: str) -> str:
    """The broker queue of a queue class (``automated`` -> ``prp.automated``)."""
    return f"prp.{queue_class}"


def all_queue_names() -> list[str]:
    """Every class's broker queue."""
    return [queue_name(c) for c in QUEUE_CLASSES]
