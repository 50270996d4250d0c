"""Enrollments, one row per (learner, course run). A learner is enrolled while the row is active."""

from django.conf import settings
from django.db import models

from core.history import historical_records
from core.models import SourcedRecord, TimeStampedModel


class Enrollment(TimeStampedModel, SourcedRecord):
    """A learner's enrollment in a course run.

    .. no_pii: Points at the learner row; holds no PII itself.
    """

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="enrollments")
    course_run = models.ForeignKey("programs.CourseRun", on_delete=models.PROTECT, related_name="enrollments")
    mode = models.CharField(max_length=100, default="audit")
    is_active = models.BooleanField(default=True, db_index=True)
    license_uuid = models.UUIDField(null=True, blank=True, help_text="Subscription license that paid for it.")
    enterprise_customer_uuid = models.UUIDField(
        null=True, blank=True, help_text="Enterprise customer whose bulk enrollment (edx-enterprise's path) made it."
    )

    history = historical_records()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "course_run"], name="unique_enrollment_per_learner_run")
        ]

    def __str__(self) -> str:
        return f"{self.learner_id}:{self.course_run_id}:{'active' if self.is_active else 'inactive'}"


class PendingEnrollment(TimeStampedModel):
    """An enrollment waiting for a learner with this email to appear (registers, authenticates, is ingested).

    ``email`` is stored trimmed and lower-cased. Realising the row creates the Enrollment and deletes
    this row in one transaction, so it happens exactly once.

    .. pii: The email address of someone invited to enroll (not yet a learner here).
    .. pii_types: email_address
    .. pii_retirement: local_api
    """

    email = models.EmailField(max_length=254, db_index=True)
    course_run = models.ForeignKey("programs.CourseRun", on_delete=models.PROTECT, related_name="pending_enrollments")
    mode = models.CharField(max_length=100, default="audit")
    license_uuid = models.UUIDField(null=True, blank=True, help_text="Subscription license that pays for it.")
    enterprise_customer_uuid = models.UUIDField(
        null=True, blank=True, help_text="Enterprise customer whose bulk enrollment (edx-enterprise's path) made it."
    )

    history = historical_records()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["email", "course_run"], name="unique_pending_enrollment_per_email_run")
        ]

    def __str__(self) -> str:
        return f"{self.email}:{self.course_run_id}:pending"
