"""Receivers: learners arrived with an email -> realise their pending enrollments, if they have any, after commit."""

import time
from collections.abc import Sequence
from typing import Any

from core.memo import Remembered
from core.models import User
from core.tasks import task_enqueue_on_commit
from enrollments.selectors import pending_emails
from enrollments.tasks import pending_enrollments_realize_task

# (learner, email) pairs just found without pending enrollments: a subscription service's account arrives
# hundreds of times a second, and asking again each time was a database round trip per request (issue 17).
# Nothing is missed by not asking: bulk enrollment enrolls an email a learner holds instead of leaving it
# pending, realises at once the rows of a learner who arrived while it ran, and the periodic sweep
# realises the rest; a changed email, or another learner holding it (one retired, one new), is a new key,
# checked at its first arrival.
NOTHING_PENDING_SECONDS = 60
_nothing_pending: Remembered[tuple[int, str], bool] = Remembered(size=16384)


def on_learners_identified(sender: Any, learners: Sequence[User], **kwargs: Any) -> None:
    """``core.signals.learners_identified``: one realisation task for the learners whose email has pending rows.

    Sent at every arrival, so it checks first (``pending_emails``: one ``EXISTS`` for one learner)
    and queues nothing when no row waits. A task lost with the broker is therefore queued again at
    the learner's next arrival, and the periodic sweep catches the rest. An email found without pending
    rows is not checked again in this process for ``NOTHING_PENDING_SECONDS`` (``_nothing_pending``).
    """
    learner_ids_by_email: dict[str, set[int]] = {}
    for learner in learners:
        email = learner.email.strip().lower() if learner.email else ""
        if email:
            learner_ids_by_email.setdefault(email, set()).add(learner.pk)
    unknown = {
        email: pks
        for email, pks in learner_ids_by_email.items()
        if any(_nothing_pending.get((pk, email)) is None for pk in pks)
    }
    if not unknown:
        return
    waiting = pending_emails(emails=unknown)
    until = time.time() + NOTHING_PENDING_SECONDS
    for email in set(unknown) - waiting:
        for pk in unknown[email]:
            _nothing_pending.put((pk, email), True, until=until)
    learner_ids = sorted({pk for email in waiting for pk in learner_ids_by_email[email]})
    if learner_ids:
        # After commit: the learner rows must be visible to whoever runs the task.
        task_enqueue_on_commit(pending_enrollments_realize_task, learner_ids=learner_ids)


def on_learner_identified(sender: Any, learner: User, **kwargs: Any) -> None:
    """``core.signals.learner_identified``: one learner, handled as a batch of one."""
    on_learners_identified(sender, learners=[learner])
