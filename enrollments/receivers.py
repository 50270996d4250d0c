"""Receivers: learners appeared with an email -> realise their pending enrollments after commit."""

from collections.abc import Sequence
from typing import Any

from core.models import User
from core.tasks import task_enqueue_on_commit
from enrollments.tasks import pending_enrollments_realize_task


def on_learners_identified(sender: Any, learners: Sequence[User], **kwargs: Any) -> None:
    """One realisation task for the whole batch (``core.signals.learners_identified``)."""
    learner_ids = sorted({learner.pk for learner in learners if learner.email})
    if not learner_ids:
        return
    # After commit: the learner rows must be visible to whoever runs the task.
    task_enqueue_on_commit(pending_enrollments_realize_task, learner_ids=learner_ids)


def on_learner_identified(sender: Any, learner: User, **kwargs: Any) -> None:
    """``core.signals.learner_identified``: one learner, handled as a batch of one."""
    on_learners_identified(sender, learners=[learner])
