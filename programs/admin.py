"""Admin for the catalog, programs (ordered courses, exclusion editor) and Discovery sync runs."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from programs.models import (
    Course,
    CourseRun,
    Organization,
    Program,
    ProgramCourse,
    ProgramExcludedCourseRun,
    ProgramSource,
    SyncRun,
)
from programs.selectors import runs_a_program_may_not_exclude
from programs.services import program_exclusions_prune


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("key", "name", "uuid", "modified")
    search_fields = ("key", "name", "uuid")


class CourseRunInline(admin.TabularInline):
    model = CourseRun
    fields = ("key", "uuid", "title", "start", "end", "removed_at")
    readonly_fields = ("key", "uuid")
    extra = 0
    show_change_link = True


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ("key", "title", "organization", "uuid")
    list_filter = ("organization",)
    list_select_related = ("organization",)
    search_fields = ("key", "title", "uuid", "course_runs__key")
    inlines = [CourseRunInline]


class RemovedFilter(admin.SimpleListFilter):
    title = "deleted by the LMS"
    parameter_name = "removed"

    def lookups(self, request, model_admin):  # type: ignore[no-untyped-def]
        return (("yes", "Deleted"), ("no", "Present"))

    def queryset(self, request, queryset):  # type: ignore[no-untyped-def]
        if self.value() == "yes":
            return queryset.filter(removed_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(removed_at__isnull=True)
        return queryset


@admin.register(CourseRun)
class CourseRunAdmin(SimpleHistoryAdmin):
    list_display = ("key", "title", "course", "start", "end", "status", "removed_at")
    list_filter = (RemovedFilter, "status", "restriction_type", "course__organization")
    list_select_related = ("course",)
    search_fields = ("key", "uuid", "title", "course__key")
    raw_id_fields = ("course",)


class ProgramCourseInline(admin.TabularInline):
    model = ProgramCourse
    fields = ("position", "course")
    ordering = ("position", "id")
    autocomplete_fields = ("course",)
    extra = 0

    def _editable(self, obj: Program | None) -> bool:
        return obj is None or not obj.is_synced

    def has_add_permission(self, request: HttpRequest, obj: Program | None = None) -> bool:  # type: ignore[override]
        return self._editable(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Program | None = None) -> bool:  # type: ignore[override]
        return self._editable(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Program | None = None) -> bool:  # type: ignore[override]
        return self._editable(obj) and super().has_delete_permission(request, obj)


class ProgramAdminForm(forms.ModelForm):
    """The exclusion editor offers only runs of the program's (saved) courses, and checks it on save."""

    # Declared: the admin makes no field for a many-to-many field with its own through model
    # (ProgramExcludedCourseRun, which carries the history). Saving sets the field as before.
    excluded_course_runs = forms.ModelMultipleChoiceField(
        queryset=CourseRun.objects.none(),
        required=False,
        widget=FilteredSelectMultiple("excluded course runs", is_stacked=False),
        help_text="Runs of the program's courses that do not count.",
    )

    class Meta:
        model = Program
        fields = (
            "uuid",
            "title",
            "type",
            "type_slug",
            "status",
            "authoring_organizations",
            "applicable_seat_types",
            "excluded_course_runs",
        )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields.get("excluded_course_runs")
        if field is None:
            return
        if self.instance.pk:
            field.queryset = (  # type: ignore[attr-defined]
                CourseRun.objects.filter(course__program_courses__program=self.instance)
                .select_related("course")
                .order_by("course__key", "key")
            )
        else:
            field.queryset = CourseRun.objects.none()  # type: ignore[attr-defined]
            field.help_text = "Save the program with its courses first; then exclude runs of those courses."

    def clean_excluded_course_runs(self) -> Any:
        runs = self.cleaned_data["excluded_course_runs"]
        outside = runs_a_program_may_not_exclude(
            program_id=self.instance.pk, runs=[(run.key, run.course_id) for run in runs]
        )
        if outside:
            raise forms.ValidationError(f"Not runs of this program's courses: {', '.join(outside)}.")
        return runs


@admin.register(Program)
class ProgramAdmin(SimpleHistoryAdmin):
    """Programs defined here are editable; Discovery programs are read-only (Discovery is their source)."""

    form = ProgramAdminForm
    list_display = ("title", "uuid", "type", "status", "source", "data_modified_timestamp", "modified")
    list_filter = ("status", "type", "source", "authoring_organizations")
    search_fields = ("title", "uuid", "program_courses__course__course_runs__key", "program_courses__course__key")
    readonly_fields = ("source", "data_modified_timestamp", "missing_upstream_since", "created", "modified")
    filter_horizontal = ("authoring_organizations",)
    inlines = [ProgramCourseInline]
    # Returned by get_fieldsets: the admin's checks refuse a through-model field in ``fieldsets``,
    # although the form declares it (ProgramAdminForm).
    program_fieldsets = (
        (None, {"fields": ("uuid", "title", "type", "type_slug", "status", "source", "authoring_organizations")}),
        ("Certificates", {"fields": ("applicable_seat_types",)}),
        ("Excluded course runs", {"fields": ("excluded_course_runs",)}),
        ("History", {"fields": ("data_modified_timestamp", "missing_upstream_since", "created", "modified")}),
    )

    def get_fieldsets(self, request: HttpRequest, obj: Program | None = None) -> Any:
        return self.program_fieldsets

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        queryset, _ = super().get_search_results(request, queryset, search_term)
        return queryset.distinct(), False

    def has_change_permission(self, request: HttpRequest, obj: Program | None = None) -> bool:
        return (obj is None or not obj.is_synced) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Program | None = None) -> bool:
        return (obj is None or not obj.is_synced) and super().has_delete_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: Program, form: Any, change: bool) -> None:
        if not change:
            obj.source = ProgramSource.LOCAL
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        """The form checked the exclusions against the courses saved *before* this change; the course
        inline is saved after it. Exclusions of a course deleted in the same change would break the
        rule: drop them (in the admin's transaction) and say so."""
        super().save_related(request, form, formsets, change)
        dropped = program_exclusions_prune(program_ids=[form.instance.pk])
        if dropped:
            keys = ", ".join(key for _, key in dropped)
            self.message_user(
                request,
                f"Exclusions dropped, their course is no longer in the program: {keys}.",
                level=messages.WARNING,
            )


@admin.register(ProgramExcludedCourseRun)
class ProgramExcludedCourseRunAdmin(SimpleHistoryAdmin):
    """Read-only: exclusions change on their program's page; here is each one's history (who, when, by what)."""

    list_display = ("program", "courserun")
    list_select_related = ("program", "courserun")
    search_fields = ("program__title", "program__uuid", "courserun__key")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ProgramExcludedCourseRun | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ProgramExcludedCourseRun | None = None) -> bool:
        return False


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = ("id", "status", "trigger", "dry_run", "requested_by", "queued_at", "finished_at", "summary")
    list_filter = ("status", "trigger", "dry_run")
    readonly_fields = [f.name for f in SyncRun._meta.fields]

    @admin.display(description="programs created / updated / unchanged / retired, errors")
    def summary(self, obj: SyncRun) -> str:
        c = obj.counts or {}
        if "programs_created" not in c:
            return "-"
        return (
            f"{c['programs_created']} / {c['programs_updated']} / {c['programs_unchanged']} / "
            f"{c['programs_retired']}, {c['errors']}"
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: SyncRun | None = None) -> bool:
        return False
