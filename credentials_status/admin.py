from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.admin import SOURCE_FIELDS, LearnerAndRunSearchMixin, SourcedRecordAdminMixin
from credentials_status.models import CourseRunCredential, Grade

LEARNER_AND_RUN_SEARCH = (
    "learner__username",
    "learner__email",
    "=learner__lms_user_id",
    "course_run__key",
    "course_run__course__key",
)


@admin.register(CourseRunCredential)
class CourseRunCredentialAdmin(LearnerAndRunSearchMixin, SourcedRecordAdminMixin, SimpleHistoryAdmin):
    list_display = ("learner", "course_run", "status", "type", "certificate_available_date", "source", "source_time")
    list_filter = ("status", "type", "course_run__course__organization")
    list_select_related = ("learner", "course_run")
    search_fields = LEARNER_AND_RUN_SEARCH
    raw_id_fields = ("learner", "course_run")
    readonly_fields = ("awarded_at", "revoked_at", "created", "modified", *SOURCE_FIELDS)
    date_hierarchy = "created"


@admin.register(Grade)
class GradeAdmin(LearnerAndRunSearchMixin, SourcedRecordAdminMixin, SimpleHistoryAdmin):
    list_display = ("learner", "course_run", "letter_grade", "percent_grade", "verified", "source", "modified")
    readonly_fields = SOURCE_FIELDS
    list_filter = ("verified", "course_run__course__organization")
    list_select_related = ("learner", "course_run")
    search_fields = LEARNER_AND_RUN_SEARCH
    raw_id_fields = ("learner", "course_run")
