"""Signals other apps may receive.

``learner_identified(sender, learner)`` is sent whenever a learner *arrives* with an email: at every
request authenticated by a JWT (with or without ``user_id``) unless the token says
``email_verified: false`` (``core.authentication``), and whenever a write names the learner with
an email, new, changed or the same (``core.services.learner_get_or_create``: ingest).

``learners_identified(sender, learners)`` is its batch form, sent once by
``core.services.learners_get_or_create_many`` (e.g. the accounts an LMS lookup returned) with every
learner of the batch whose account named an email, so a receiver can handle them together instead
of once per learner.

Receivers run on the request's hot path and must be cheap: enrollments checks with one query
whether pending enrollments wait for the email, and only then queues their realisation after commit.
"""

from django.dispatch import Signal

learner_identified = Signal()
learners_identified = Signal()
