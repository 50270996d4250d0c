"""Receivers: a learner appeared with an email -> realise their pending enrollments after commit."""

from typing import Any

from django.db import transaction

from core.models import User


def on_learner_identified(sender: Any, learner: User, **kwargs: Any) -> None:
    if not learner.email:
        return
    from enrollments.tasks import pending_enrollments_realize_task

    learner_id = learner.pk
    # After commit: the learner row must be visible to whoever runs the task.
    transaction.on_commit(lambda: pending_enrollments_realize_task.delay(learner_id=learner_id))
