"""The user model: staff, service accounts and learners alike.

Learners are known by their LMS username and, when a JWT or an ingest call carries it, their
LMS user id (``lms_user_id``), which survives renames (see docs/decisions/0003).
"""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Upper


class TimeStampedModel(models.Model):
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    modified = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class RecordSource(models.TextChoices):
    """Where a learner record's current state came from (docs/decisions/0011)."""

    EVENT = "event"  # the Open edX event bus
    INGEST = "ingest"  # this service's ingest endpoints and Python API
    BACKFILL = "backfill"  # read from the LMS's APIs (``backfill_from_lms``, the console's check)
    ADMIN = "admin"  # the Django admin


class SourcedRecord(models.Model):
    """A learner record that remembers what last changed it, so an older change never overwrites it."""

    source = models.CharField(max_length=16, choices=RecordSource.choices, default=RecordSource.INGEST)
    source_time = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the system of record made the change last applied (the event's time; else when written).",
    )
    changed_by = models.CharField(max_length=150, blank=True, help_text="Who applied a backfill or admin change.")

    class Meta:
        abstract = True


class User(AbstractUser):
    """A learner, a staff member or a service account.

    A retired learner (``retired_at`` set) keeps this row and every record attached to it, under the
    user-util retired username and email, with no name (privacy.services.learner_retire).

    .. pii: The username, email address, first, last and full name of learners and staff; the LMS user id.
    .. pii_types: username, email_address, name, id
    .. pii_retirement: local_api
    """

    lms_user_id = models.PositiveBigIntegerField(
        null=True, blank=True, unique=True, help_text="The learner's user id in the LMS (JWT claim user_id)."
    )
    full_name = models.CharField(max_length=255, blank=True)
    retired_at = models.DateTimeField(
        null=True, blank=True, help_text="When the learner was retired (Open edX user retirement): no PII is left."
    )

    # Not a field: the user's group names, cached by core.roles.user_has_role for one request.
    _role_names: set[str]

    class Meta:
        db_table = "core_user"
        indexes = [
            models.Index(fields=["email"], name="core_user_email_idx"),
            # Case-insensitive exact search (support console, admin): ``iexact`` is UPPER(col) = UPPER(text).
            # PostgreSQL also has trigram indexes for contains-search (core/migrations/0005).
            models.Index(Upper("username"), name="core_user_username_upper_idx"),
            models.Index(Upper("email"), name="core_user_email_upper_idx"),
        ]

    def __str__(self) -> str:
        return self.username


# The column sizes every write path validates against before it reaches the database.
USERNAME_MAX_LENGTH: int = User._meta.get_field("username").max_length or 150
EMAIL_MAX_LENGTH: int = User._meta.get_field("email").max_length or 254
FULL_NAME_MAX_LENGTH: int = User._meta.get_field("full_name").max_length or 255
