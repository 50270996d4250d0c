"""Signals other apps may receive about learner records."""

from django.dispatch import Signal

# Sent after the transaction recording a grade commits, with keyword arguments
# ``learner_id``, ``username``, ``course_run_key`` and ``percent_grade`` (Decimal).
grade_recorded = Signal()
