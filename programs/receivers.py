"""Receivers: exclusions added through ``Program.excluded_course_runs`` are recorded in its history.

``add`` and ``set`` on the field (the REST API, the admin, tests) insert the through rows in bulk,
without the per-row signals django-simple-history listens to; ``m2m_changed`` sees them. Removals
delete through a queryset, whose per-row ``post_delete`` django-simple-history records itself.
"""

from typing import Any

from core.history import history_bulk_record
from programs.models import ProgramExcludedCourseRun


def on_exclusions_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    """``+`` history rows for the exclusions just added (``pk_set`` holds only those really added)."""
    if action != "post_add" or not pk_set:
        return
    rows = ProgramExcludedCourseRun.objects.filter(
        **{"courserun" if reverse else "program": instance},
        **{"program_id__in" if reverse else "courserun_id__in": pk_set},
    )
    history_bulk_record(list(rows), ProgramExcludedCourseRun)
