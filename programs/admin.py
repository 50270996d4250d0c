from django.contrib import admin

from programs.models import Course, CourseRun, Organization


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
class CourseRunAdmin(admin.ModelAdmin):
    list_display = ("key", "title", "course", "start", "end", "removed_at")
    list_filter = (RemovedFilter, "course__organization")
    list_select_related = ("course",)
    search_fields = ("key", "uuid", "title", "course__key")
    raw_id_fields = ("course",)
