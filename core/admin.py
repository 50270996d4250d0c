from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from core.models import RecordSource, SourcedRecord, User

SOURCE_FIELDS = ("source", "source_time", "changed_by")


class SourcedRecordAdminMixin:
    """Admin of a learner record: its source fields are read-only, and a save records ``admin`` by the editor."""

    def save_model(self, request: HttpRequest, obj: SourcedRecord, form: Any, change: bool) -> None:
        obj.source, obj.source_time, obj.changed_by = RecordSource.ADMIN, timezone.now(), request.user.get_username()
        super().save_model(request, obj, form, change)  # type: ignore[misc]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Users. A learner with records is retired (the "Retire" action), never deleted: records stay, PII goes."""

    list_display = ("username", "email", "lms_user_id", "full_name", "is_staff", "is_active", "retired_at")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("username", "email", "lms_user_id", "full_name")
    readonly_fields = ("retired_at",)
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        ("LMS identity", {"fields": ("lms_user_id", "full_name", "retired_at")}),
    )
    actions = ["retire_learners"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Deleting a learner with records would take their records (and statistics) with them: retire instead."""
        if obj is not None and _has_records(obj):
            return False
        return super().has_delete_permission(request, obj)

    @admin.action(description="Retire the selected learners (replace their PII, keep their records)")
    def retire_learners(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        from privacy.api import learner_retire

        if not request.user.is_superuser:
            self.message_user(request, "Only a superuser may retire learners.", level=messages.ERROR)
            return
        retired = 0
        for user in queryset.filter(retired_at__isnull=True):
            learner_retire(
                lms_user_id=user.lms_user_id,
                original_username=user.username,
                retired_by=request.user.get_username(),
            )
            retired += 1
        self.message_user(request, f"{retired} learner(s) retired.", level=messages.SUCCESS)


def _has_records(user: User) -> bool:
    return (
        user.credentials.exists()  # type: ignore[attr-defined]
        or user.grades.exists()  # type: ignore[attr-defined]
        or user.enrollments.exists()  # type: ignore[attr-defined]
    )
