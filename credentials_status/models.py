"""Course-run certificates and grades, one row per (learner, course run).

Rows are never deleted by the service: a revoked certificate keeps its row with status ``revoked``,
and a run the LMS deletes keeps every record that points at it.
"""

from django.conf import settings
from django.db import models

from core.history import historical_records
from core.models import SourcedRecord, TimeStampedModel


class CertificateType(models.TextChoices):
    HONOR = "honor"
    VERIFIED = "verified"
    PROFESSIONAL = "professional"
    NO_ID_PROFESSIONAL = "no-id-professional"
    MASTERS = "masters"
    AUDIT = "audit"


class CredentialStatus(models.TextChoices):
    AWARDED = "awarded"
    REVOKED = "revoked"


class CourseRunCredential(TimeStampedModel, SourcedRecord):
    """A learner's course-run certificate, awarded or revoked; attached to the learner row, so retirement keeps it.

    .. no_pii: Points at the learner row; holds no PII itself.
    """

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="credentials")
    course_run = models.ForeignKey("programs.CourseRun", on_delete=models.PROTECT, related_name="credentials")
    status = models.CharField(max_length=16, choices=CredentialStatus.choices, db_index=True)
    type = models.CharField(max_length=32, choices=CertificateType.choices)
    certificate_available_date = models.DateTimeField(
        null=True, blank=True, help_text="The credential is hidden from status answers until this moment."
    )
    awarded_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    history = historical_records()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "course_run"], name="unique_credential_per_learner_run")
        ]

    def __str__(self) -> str:
        return f"{self.learner_id}:{self.course_run_id}:{self.status}"


class Grade(TimeStampedModel, SourcedRecord):
    """A learner's grade in a course run.

    .. no_pii: Points at the learner row; holds no PII itself.
    """

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="grades")
    course_run = models.ForeignKey("programs.CourseRun", on_delete=models.PROTECT, related_name="grades")
    letter_grade = models.CharField(max_length=32, blank=True)
    percent_grade = models.DecimalField(max_digits=5, decimal_places=4, help_text="Between 0 and 1.")
    verified = models.BooleanField(default=False)

    history = historical_records()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["learner", "course_run"], name="unique_grade_per_learner_run")]

    def __str__(self) -> str:
        return f"{self.learner_id}:{self.course_run_id}:{self.percent_grade}"
