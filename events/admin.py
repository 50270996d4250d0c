from django.contrib import admin

from events.models import AppliedEvent


@admin.register(AppliedEvent)
class AppliedEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "event_type", "event_time", "outcome", "applied_at"]
    list_filter = ["event_type", "outcome"]
    search_fields = ["event_id"]
    readonly_fields = ["event_id", "event_type", "event_time", "outcome", "applied_at"]
