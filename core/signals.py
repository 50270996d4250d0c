"""Signals other apps may receive.

``learner_identified(sender, learner)`` is sent when a learner row first carries an email or its
email changes: on creation by ingest, on first JWT authentication, on an LMS lookup. Receivers must
be cheap; enrollments uses it to realise pending enrollments after the transaction commits.
"""

from django.dispatch import Signal

learner_identified = Signal()
