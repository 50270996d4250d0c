"""Catalog rows, keyed by their natural keys.

Rows arrive from two sources that merge on those keys: the LMS (``PUT course_runs/{key}``, which
derives the course and organization from the run key) and the Discovery sync.
"""

from uuid import uuid4

from django.db import models

from core.models import TimeStampedModel


class Organization(TimeStampedModel):
    key = models.CharField(max_length=255, unique=True, help_text="Organization key, e.g. edX.")
    uuid = models.UUIDField(null=True, blank=True, unique=True, help_text="Discovery's uuid, once synced.")
    name = models.CharField(max_length=255, blank=True)

    def __str__(self) -> str:
        return self.key


class Course(TimeStampedModel):
    key = models.CharField(max_length=255, unique=True, help_text="Course key, e.g. edX+DemoX.")
    uuid = models.UUIDField(default=uuid4, unique=True, help_text="Discovery's uuid once synced.")
    title = models.CharField(max_length=255, blank=True)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="courses")

    def __str__(self) -> str:
        return self.key


class CourseRun(TimeStampedModel):
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

    class Meta:
        indexes = [models.Index(fields=["course", "start"], name="programs_run_course_start_idx")]

    def __str__(self) -> str:
        return self.key

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None
