"""Receivers: learners arrived with an email -> realise their pending enrollments, if they have any, after commit."""

from collections.abc import Sequence
from typing import Any

from core.models import User
from core.tasks import task_enqueue_on_commit
from enrollments.selectors import pending_emails
from enrollments.tasks import pending_enrollments_realize_task


def on_learners_identified(sender: Any, learners: Sequence[User], **kwargs: Any) -> None:
    """``core.signals.learners_identified``: one realisation task for the learners whose email has pending rows.

    Sent at every arrival, so it checks first (``pending_emails``: one ``EXISTS`` for one learner)
    and queues nothing when no row waits. A task lost with the broker is therefore queued again at
    the learner's next arrival, and the periodic sweep catches the rest.
    """
    learner_ids_by_email: dict[str, set[int]] = {}
    for learner in learners:
        email = learner.email.strip().lower() if learner.email else ""
        if email:
            learner_ids_by_email.setdefault(email, set()).add(learner.pk)
    if not learner_ids_by_email:
        return
    waiting = pending_emails(emails=learner_ids_by_email)
    learner_ids = sorted({pk for email in waiting for pk in learner_ids_by_email[email]})
    if learner_ids:
        # After commit: the learner rows must be visible to whoever runs the task.
        task_enqueue_on_commit(pending_enrollments_realize_task, learner_ids=learner_ids)


def on_learner_identified(sender: Any, learner: User, **kwargs: Any) -> None:
    """``core.signals.learner_identified``: one learner, handled as a batch of one."""
    on_learners_identified(sender, learners=[learner])
