"""Admin pages for credit configuration and learners' credit standing.

Credit courses and providers are configuration: editable here (a course key is
validated and stored canonical, as ``credit_course_set`` does), never deleted (disable them instead:
deleting one would cascade to learners' eligibilities and requests). Requirements, requirement
statuses, eligibilities and credit requests follow the credit rules (docs/decisions/0006-credit.rst), which only the
services apply: their pages are read-only (view, search, filters), and they change through the
REST or Python API. docs/decisions/0006-credit.rst.
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from core.admin import RelatedIdSearchMixin
from core.errors import field_errors
from credit.exceptions import InvalidCourseKey
from credit.keys import parse_credit_course_key
from credit.models import (
    CreditCourse,
    CreditEligibility,
    CreditProvider,
    CreditRequest,
    CreditRequirement,
    CreditRequirementStatus,
)


class ReadOnlyAdminMixin:
    """View, search and filter; no add, change or delete (the credit rules live in ``credit.services``)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CreditRequirementInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CreditRequirement
    fields = ("order", "namespace", "name", "display_name", "criteria", "active")
    readonly_fields = fields
    extra = 0


class CreditCourseForm(forms.ModelForm):
    class Meta:
        model = CreditCourse
        fields = ("course_key", "enabled")

    def clean_course_key(self) -> str:
        try:
            return parse_credit_course_key(self.cleaned_data["course_key"]).key
        except InvalidCourseKey as exc:
            raise ValidationError(field_errors(exc.detail)["course_key"]) from exc


@admin.register(CreditCourse)
class CreditCourseAdmin(admin.ModelAdmin):
    form = CreditCourseForm
    list_display = ("course_key", "enabled", "modified")
    list_filter = ("enabled",)
    search_fields = ("course_key",)
    inlines = [CreditRequirementInline]

    def get_readonly_fields(self, request: HttpRequest, obj: CreditCourse | None = None) -> tuple[str, ...]:
        # Re-keying a course would move its requirements, eligibilities and requests to another run.
        return ("course_key",) if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: CreditCourse | None = None) -> bool:
        return False


@admin.register(CreditRequirement)
class CreditRequirementAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("course", "namespace", "name", "display_name", "order", "active")
    list_filter = ("active", "namespace")
    list_select_related = ("course",)
    search_fields = ("course__course_key", "namespace", "name", "display_name")


@admin.register(CreditRequirementStatus)
class CreditRequirementStatusAdmin(RelatedIdSearchMixin, ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("learner", "requirement", "status", "modified")
    list_filter = ("status",)
    list_select_related = ("learner", "requirement__course")
    search_fields = (
        "learner__username",
        "learner__email",
        "learner__lms_user_id",
        "requirement__course__course_key",
        "requirement__name",
    )
    related_search = {"requirement": ("course__course_key", "name")}


@admin.register(CreditEligibility)
class CreditEligibilityAdmin(RelatedIdSearchMixin, ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("learner", "course", "deadline", "created")
    list_select_related = ("learner", "course")
    search_fields = ("learner__username", "learner__email", "learner__lms_user_id", "course__course_key")
    related_search = {"course": ("course_key",)}


@admin.register(CreditProvider)
class CreditProviderAdmin(admin.ModelAdmin):
    list_display = ("provider_id", "display_name", "enable_integration", "active")
    list_filter = ("active", "enable_integration")
    search_fields = ("provider_id", "display_name")

    def get_readonly_fields(self, request: HttpRequest, obj: CreditProvider | None = None) -> tuple[str, ...]:
        # The id is what signed callbacks and CREDIT_PROVIDER_SECRET_KEYS name.
        return ("provider_id",) if obj is not None else ()

    def has_delete_permission(self, request: HttpRequest, obj: CreditProvider | None = None) -> bool:
        return False


@admin.register(CreditRequest)
class CreditRequestAdmin(RelatedIdSearchMixin, ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ("uuid", "learner", "course", "provider", "status", "modified")
    list_filter = ("status", "provider")
    list_select_related = ("learner", "course", "provider")
    search_fields = ("uuid", "learner__username", "learner__email", "learner__lms_user_id", "course__course_key")
    related_search = {"course": ("course_key",)}
    exact_search_fields = ("uuid",)
