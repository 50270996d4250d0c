"""Signals other apps may receive.

``learner_identified(sender, learner)`` is sent when a learner row first carries an email or its
email changes: on creation by ingest, on first JWT authentication (``core.services.learner_get_or_create``
and ``core.authentication``).

``learners_identified(sender, learners)`` is its batch form, sent once by
``core.services.learners_get_or_create_many`` (e.g. the accounts an LMS lookup returned) with every
learner of the batch that was created with an email or whose email changed, so a receiver can handle
them together instead of once per learner.

Receivers must be cheap; enrollments uses both to realise pending enrollments after the transaction
commits.
"""

from django.dispatch import Signal

learner_identified = Signal()
learners_identified = Signal()
