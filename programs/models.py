"""Catalog rows, keyed by their natural keys.

Rows arrive from two sources that merge on those keys: the LMS (``PUT course_runs/{key}``, which
derives the course and organization from the run key) and the Discovery sync.
"""

from uuid import uuid4

from django.db import models

from core.history import historical_records
from core.models import TimeStampedModel


class Organization(TimeStampedModel):
    """An organization of the catalog.

    .. no_pii: Catalog data.
    """

    key = models.CharField(max_length=255, unique=True, help_text="Organization key, e.g. edX.")
    uuid = models.UUIDField(null=True, blank=True, unique=True, help_text="Discovery's uuid, once synced.")
    name = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return self.key


class Course(TimeStampedModel):
    """A course of the catalog.

    .. no_pii: Catalog data.
    """

    key = models.CharField(max_length=255, unique=True, help_text="Course key, e.g. edX+DemoX.")
    uuid = models.UUIDField(default=uuid4, unique=True, help_text="Discovery's uuid once synced.")
    title = models.CharField(max_length=255, blank=True)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="courses")
    uuid_from_discovery = models.BooleanField(
        default=False, help_text="True once the uuid is Discovery's (a course first made from a key has a local one)."
    )

    def __str__(self) -> str:
        return self.key


class CourseRun(TimeStampedModel):
    """A run of a course, from the LMS and Discovery.

    .. no_pii: Catalog data.
    """

    key = models.CharField(max_length=255, unique=True, help_text="Course run key, e.g. course-v1:edX+DemoX+1T2024.")
    uuid = models.UUIDField(default=uuid4, unique=True, help_text="Discovery's uuid once synced.")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="course_runs")
    title = models.CharField(max_length=255, blank=True)
    start = models.DateTimeField(null=True, blank=True)
    end = models.DateTimeField(null=True, blank=True)
    removed_at = models.DateTimeField(
        null=True,
        blank=True,
        db_index=True,
        help_text="Set when the LMS deleted the run: it no longer counts toward programs; learner records stay.",
    )
    # Discovery's view of the run (empty until a sync meets it).
    uuid_from_discovery = models.BooleanField(
        default=False, help_text="True once the uuid is Discovery's (a run first made from a key has a local one)."
    )
    status = models.CharField(max_length=32, blank=True, help_text="Discovery status, e.g. published, unpublished.")
    type = models.CharField(max_length=64, blank=True, help_text="Discovery seat type of the run, e.g. verified.")
    restriction_type = models.CharField(
        max_length=64, blank=True, help_text="custom-b2c, custom-b2b-enterprise or empty."
    )
    hidden = models.BooleanField(default=False)
    catalog_event_time = models.DateTimeField(
        null=True, blank=True, help_text="Time of the last Studio catalog event applied; older ones are ignored."
    )

    history = historical_records()

    class Meta:
        indexes = [models.Index(fields=["course", "start"], name="programs_run_course_start_idx")]

    def __str__(self) -> str:
        return self.key

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None


class ProgramStatus(models.TextChoices):
    UNPUBLISHED = "unpublished"
    ACTIVE = "active"
    RETIRED = "retired"
    DELETED = "deleted"


class ProgramSource(models.TextChoices):
    DISCOVERY = "discovery", "Synced from Discovery"
    LOCAL = "local", "Defined in this service"


class Program(TimeStampedModel):
    """A list of courses; every live run of them counts unless listed in ``excluded_course_runs``.

    .. no_pii: Catalog data.
    """

    uuid = models.UUIDField(default=uuid4, unique=True)
    title = models.CharField(max_length=255)
    type = models.CharField(max_length=64, blank=True, help_text="Program type name, e.g. MicroMasters.")
    type_slug = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(max_length=16, choices=ProgramStatus.choices, default=ProgramStatus.ACTIVE, db_index=True)
    source = models.CharField(max_length=16, choices=ProgramSource.choices, default=ProgramSource.LOCAL)
    applicable_seat_types = models.JSONField(
        default=list,
        blank=True,
        help_text="Certificate types that complete a course of this program; empty means every type but audit.",
    )
    authoring_organizations = models.ManyToManyField(Organization, blank=True, related_name="programs")
    courses = models.ManyToManyField(Course, through="ProgramCourse", related_name="programs")
    excluded_course_runs = models.ManyToManyField(
        CourseRun,
        through="ProgramExcludedCourseRun",
        blank=True,
        related_name="excluding_programs",
        help_text="Runs of the program's courses that do not count.",
    )
    data_modified_timestamp = models.DateTimeField(null=True, blank=True)
    missing_upstream_since = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When a sync first found this Discovery program gone from Discovery (it was then retired).",
    )

    history = historical_records()

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return f"{self.title} ({self.uuid})"

    @property
    def is_synced(self) -> bool:
        return self.source == ProgramSource.DISCOVERY


class ProgramExcludedCourseRun(models.Model):
    """One run a program excludes: the rows of ``Program.excluded_course_runs``, with their history.

    The table is the one Django made for the plain many-to-many field; writers keep using the field
    (``add``, ``set``, ``remove``) and ``programs.receivers`` records history for its changes. Its
    history answers "since when is this run excluded, and by what".

    .. no_pii: Catalog data.
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE)
    courserun = models.ForeignKey(CourseRun, on_delete=models.CASCADE)

    history = historical_records()

    class Meta:
        db_table = "programs_program_excluded_course_runs"
        unique_together = [("program", "courserun")]

    def __str__(self) -> str:
        return f"{self.program_id} excludes {self.courserun_id}"


class ProgramCourse(models.Model):
    """A course's place in a program's ordered course list.

    .. no_pii: Catalog data.
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="program_courses")
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="program_courses")
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["program", "position"]
        constraints = [models.UniqueConstraint(fields=["program", "course"], name="unique_course_per_program")]

    def __str__(self) -> str:
        return f"{self.program_id}:{self.position}:{self.course_id}"


class SyncStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying", "Retrying after a transient upstream error"
    SUCCEEDED = "succeeded"
    ABORTED = "aborted", "Aborted: would retire too many programs"
    FAILED = "failed"


class SyncRun(models.Model):
    """One Discovery sync: who asked, when it ran, what it changed (or would have, for a dry run).

    .. no_pii: ``requested_by`` names a staff or service account, never a learner.
    """

    status = models.CharField(max_length=16, choices=SyncStatus.choices, default=SyncStatus.QUEUED, db_index=True)
    dry_run = models.BooleanField(default=False)
    program_uuids = models.JSONField(default=list, blank=True, help_text="Only these programs; empty means all.")
    trigger = models.CharField(max_length=16, default="api", help_text="api, schedule or command.")
    requested_by = models.CharField(max_length=150, blank=True)
    queued_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)
    changes = models.JSONField(default=list, blank=True, help_text="What changed (the first entries), one line each.")
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-queued_at", "-id"]

    def __str__(self) -> str:
        return f"sync {self.pk} ({self.status})"
