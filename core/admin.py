from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
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
    list_display = ("username", "email", "lms_user_id", "full_name", "is_staff", "is_active")
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("username", "email", "lms_user_id", "full_name")
    fieldsets = (*(DjangoUserAdmin.fieldsets or ()), ("LMS identity", {"fields": ("lms_user_id", "full_name")}))
