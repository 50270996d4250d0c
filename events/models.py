"""Events of the Open edX event bus this service has applied, by their metadata id (docs/decisions/0011)."""

from django.db import models


class EventOutcome(models.TextChoices):
    APPLIED = "applied"  # it changed the records it names
    STALE = "stale"  # a newer change had already been applied: nothing changed
    SKIPPED = "skipped"  # it named nothing this service can record (logged with the reason): nothing changed


class AppliedEvent(models.Model):
    """One row per event id: a redelivered event finds its row and changes nothing.

    .. no_pii: Event ids, types, times and outcomes; never the event's payload.
    """

    event_id = models.UUIDField(unique=True, help_text="The event's metadata id.")
    event_type = models.CharField(max_length=255)
    event_time = models.DateTimeField(help_text="When the producer says the event happened (metadata time).")
    applied_at = models.DateTimeField(auto_now_add=True, db_index=True)
    outcome = models.CharField(max_length=16, choices=EventOutcome.choices)

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id} ({self.outcome})"
