"""Credit courses, their requirements, learners' requirement statuses and eligibilities, providers and requests.

The rules these rows follow are in docs/decisions/0006-credit.rst;
``credit.services`` is the only writer.
"""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

from core.history import historical_records
from core.models import TimeStampedModel

# Lengths the REST layer, the Python API and the URL patterns check before anything reaches the database.
COURSE_KEY_MAX_LENGTH = 255
REQUIREMENT_TEXT_MAX_LENGTH = 255
PROVIDER_ID_MAX_LENGTH = 255
PROVIDER_ID_ALPHABET = r"[A-Za-z0-9-]"

provider_id_validator = RegexValidator(
    regex=rf"^{PROVIDER_ID_ALPHABET}+$", message="A provider id contains only letters, digits and hyphens."
)


class CreditCourse(TimeStampedModel):
    """A course run key marked for credit. Only ``enabled`` courses count.

    .. no_pii: Catalog configuration.
    """

    course_key = models.CharField(
        max_length=COURSE_KEY_MAX_LENGTH, unique=True, help_text="e.g. course-v1:edX+DemoX+1T2015"
    )
    enabled = models.BooleanField(default=False)

    class Meta:
        ordering = ["course_key"]

    def __str__(self) -> str:
        return self.course_key


class CreditRequirement(TimeStampedModel):
    """One thing a learner must satisfy; identified within its course by ``(namespace, name)``.

    .. no_pii: Catalog configuration.
    """

    course = models.ForeignKey(CreditCourse, on_delete=models.CASCADE, related_name="requirements")
    namespace = models.CharField(max_length=REQUIREMENT_TEXT_MAX_LENGTH)
    name = models.CharField(max_length=REQUIREMENT_TEXT_MAX_LENGTH)
    display_name = models.CharField(max_length=REQUIREMENT_TEXT_MAX_LENGTH)
    criteria = models.JSONField(default=dict, blank=True)
    order = models.PositiveIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["course", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["course", "namespace", "name"], name="credit_requirement_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.course.course_key} {self.namespace}/{self.name}"


class RequirementStatus(models.TextChoices):
    SATISFIED = "satisfied"
    FAILED = "failed"
    DECLINED = "declined"


class CreditRequirementStatus(TimeStampedModel):
    """A learner's status on a requirement. No row means "not attempted".

    .. no_pii: Points at the learner row; ``reason`` holds the LMS's grading facts, no PII.
    """

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    requirement = models.ForeignKey(CreditRequirement, on_delete=models.CASCADE, related_name="statuses")
    status = models.CharField(max_length=32, choices=RequirementStatus.choices)
    reason = models.JSONField(default=dict, blank=True)

    history = historical_records()

    class Meta:
        verbose_name_plural = "credit requirement statuses"
        constraints = [
            models.UniqueConstraint(fields=["learner", "requirement"], name="credit_requirement_status_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.learner_id} {self.requirement_id}: {self.status}"


class CreditEligibility(TimeStampedModel):
    """Granted once, when every active requirement is satisfied; counts while enabled and before ``deadline``.

    .. no_pii: Points at the learner row; holds no PII itself.
    """

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey(CreditCourse, on_delete=models.CASCADE, related_name="eligibilities")
    deadline = models.DateTimeField()

    history = historical_records()

    class Meta:
        verbose_name_plural = "credit eligibilities"
        constraints = [models.UniqueConstraint(fields=["learner", "course"], name="credit_eligibility_unique")]

    def __str__(self) -> str:
        return f"{self.learner_id} {self.course_id} until {self.deadline:%Y-%m-%d}"


class CreditProvider(TimeStampedModel):
    """An institution granting credit. Listings for learners show ``active`` providers only.

    .. no_pii: Catalog configuration.
    """

    provider_id = models.CharField(max_length=PROVIDER_ID_MAX_LENGTH, unique=True, validators=[provider_id_validator])
    display_name = models.CharField(max_length=255)
    provider_url = models.URLField(max_length=255, default="", blank=True)
    provider_status_url = models.URLField(max_length=255, default="", blank=True)
    description = models.TextField(default="", blank=True)
    enable_integration = models.BooleanField(
        default=False, help_text="Signed POST requests to the provider; otherwise learners are sent to its URL."
    )
    fulfillment_instructions = models.TextField(default="", blank=True, help_text="HTML shown to learners.")
    thumbnail_url = models.URLField(max_length=255, default="", blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["provider_id"]

    def __str__(self) -> str:
        return self.provider_id


class CreditRequestStatus(models.TextChoices):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class CreditRequest(TimeStampedModel):
    """A learner's request for credit from one provider in one course; one per (learner, course, provider).

    ``parameters`` is what was sent to the provider: it names the learner (username, email, full name,
    mailing address, country); retirement replaces those values (privacy.services.learner_retire).

    .. pii: The learner's username, email address, full name, mailing address and country in ``parameters``.
    .. pii_types: username, email_address, name, location
    .. pii_retirement: local_api
    """

    uuid = models.CharField(max_length=32, unique=True)
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    course = models.ForeignKey(CreditCourse, on_delete=models.CASCADE, related_name="credit_requests")
    provider = models.ForeignKey(CreditProvider, on_delete=models.CASCADE, related_name="credit_requests")
    parameters = models.JSONField(default=dict, blank=True, help_text="What was sent to the provider (unsigned).")
    status = models.CharField(max_length=32, choices=CreditRequestStatus.choices, default=CreditRequestStatus.PENDING)
    provider_timestamp = models.BigIntegerField(
        null=True, blank=True, help_text="Timestamp of the last provider callback applied (epoch seconds)."
    )

    history = historical_records()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["learner", "course", "provider"], name="credit_request_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.uuid} ({self.status})"
