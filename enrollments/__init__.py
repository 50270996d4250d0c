"""Enrollments as learner records, and bulk enrollment (local or through the LMS)."""
