from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.admin import (
    SOURCE_FIELDS,
    LearnerAndRunSearchMixin,
    RelatedIdSearchMixin,
    SourcedRecordAdminMixin,
    fixed_values_filter,
)
from enrollments.models import Enrollment, PendingEnrollment

# The LMS's course modes (common.djangoapps.course_modes).
ModeFilter = fixed_values_filter(
    "mode",
    "mode",
    ("audit", "honor", "verified", "professional", "no-id-professional", "credit", "masters", "executive-education"),
)


@admin.register(Enrollment)
class EnrollmentAdmin(LearnerAndRunSearchMixin, SourcedRecordAdminMixin, SimpleHistoryAdmin):
    list_display = ("learner", "course_run", "mode", "is_active", "license_uuid", "source", "modified")
    list_filter = ("is_active", ModeFilter, "created", "course_run__course__organization")
    list_select_related = ("learner", "course_run")
    search_fields = (
        "learner__username",
        "learner__email",
        "=learner__lms_user_id",
        "course_run__key",
        "course_run__course__key",
        "=license_uuid",
        "=enterprise_customer_uuid",
    )
    exact_search_fields = ("license_uuid", "enterprise_customer_uuid")
    raw_id_fields = ("learner", "course_run")
    readonly_fields = ("created", "modified", *SOURCE_FIELDS)
    date_hierarchy = "created"


@admin.register(PendingEnrollment)
class PendingEnrollmentAdmin(RelatedIdSearchMixin, SimpleHistoryAdmin):
    list_display = ("email", "course_run", "mode", "license_uuid", "created")
    list_filter = (ModeFilter, "created", "course_run__course__organization")
    list_select_related = ("course_run",)
    search_fields = (
        "email",
        "course_run__key",
        "course_run__course__key",
        "=license_uuid",
        "=enterprise_customer_uuid",
    )
    learner_field = None  # invitations name an email, not a learner
    related_search = {"course_run": ("key", "course__key")}
    contains_search_fields = ("email",)
    exact_search_fields = ("license_uuid", "enterprise_customer_uuid")
    raw_id_fields = ("course_run",)
    readonly_fields = ("created", "modified")
    date_hierarchy = "created"
