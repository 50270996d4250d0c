"""Signals other apps may receive about learner records."""

from django.dispatch import Signal

# Sent after the transaction recording grades commits, with the keyword argument ``grades``: a list of
# ``credentials_status.data.RecordedGrade`` (one for a grade written alone, all of a batch's otherwise).
grades_recorded = Signal()
