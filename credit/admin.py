"""Admin pages for credit configuration and learners' credit standing."""

from django.contrib import admin

from credit.models import (
    CreditCourse,
    CreditEligibility,
    CreditProvider,
    CreditRequest,
    CreditRequirement,
    CreditRequirementStatus,
)


class CreditRequirementInline(admin.TabularInline):
    model = CreditRequirement
    fields = ("order", "namespace", "name", "display_name", "criteria", "active")
    extra = 0


@admin.register(CreditCourse)
class CreditCourseAdmin(admin.ModelAdmin):
    list_display = ("course_key", "enabled", "modified")
    list_filter = ("enabled",)
    search_fields = ("course_key",)
    inlines = [CreditRequirementInline]


@admin.register(CreditRequirement)
class CreditRequirementAdmin(admin.ModelAdmin):
    list_display = ("course", "namespace", "name", "display_name", "order", "active")
    list_filter = ("active", "namespace")
    list_select_related = ("course",)
    search_fields = ("course__course_key", "namespace", "name", "display_name")


@admin.register(CreditRequirementStatus)
class CreditRequirementStatusAdmin(admin.ModelAdmin):
    list_display = ("learner", "requirement", "status", "modified")
    list_filter = ("status",)
    list_select_related = ("learner", "requirement__course")
    raw_id_fields = ("learner", "requirement")
    search_fields = (
        "learner__username",
        "learner__email",
        "learner__lms_user_id",
        "requirement__course__course_key",
        "requirement__name",
    )


@admin.register(CreditEligibility)
class CreditEligibilityAdmin(admin.ModelAdmin):
    list_display = ("learner", "course", "deadline", "created")
    list_select_related = ("learner", "course")
    raw_id_fields = ("learner",)
    search_fields = ("learner__username", "learner__email", "learner__lms_user_id", "course__course_key")


@admin.register(CreditProvider)
class CreditProviderAdmin(admin.ModelAdmin):
    list_display = ("provider_id", "display_name", "enable_integration", "active")
    list_filter = ("active", "enable_integration")
    search_fields = ("provider_id", "display_name")


@admin.register(CreditRequest)
class CreditRequestAdmin(admin.ModelAdmin):
    list_display = ("uuid", "learner", "course", "provider", "status", "modified")
    list_filter = ("status", "provider")
    list_select_related = ("learner", "course", "provider")
    raw_id_fields = ("learner",)
    readonly_fields = ("uuid", "parameters", "provider_timestamp")
    search_fields = ("uuid", "learner__username", "learner__email", "learner__lms_user_id", "course__course_key")
