from django.contrib import admin

from core.admin import fixed_values_filter
from events.models import AppliedEvent
from events.receivers import EVENT_TYPES


@admin.register(AppliedEvent)
class AppliedEventAdmin(admin.ModelAdmin):
    list_display = ["event_id", "event_type", "event_time", "outcome", "applied_at"]
    list_filter = [fixed_values_filter("event_type", "event type", EVENT_TYPES), "outcome"]
    search_fields = ["event_id"]
    readonly_fields = ["event_id", "event_type", "event_time", "outcome", "applied_at"]
