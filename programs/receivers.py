"""Receivers: changes of ``Program.excluded_course_runs`` made through the field are recorded in its history.

``add``, ``set``, ``remove`` and ``clear`` on the field (the REST API, the admin, tests) write the
through rows in bulk without per-row signals; ``m2m_changed`` is the one place that sees them all.
"""

from typing import Any

from core.history import history_bulk_record
from programs.models import ProgramExcludedCourseRun


def on_exclusions_changed(
    sender: Any, instance: Any, action: str, reverse: bool, pk_set: set[int] | None, **kwargs: Any
) -> None:
    """``+`` history rows for the exclusions just added, ``-`` rows for those about to be removed."""
    if action not in ("post_add", "pre_remove", "pre_clear"):
        return
    rows = ProgramExcludedCourseRun.objects.filter(**{"courserun" if reverse else "program": instance})
    if action != "pre_clear":
        if not pk_set:
            return
        rows = rows.filter(**{"program_id__in" if reverse else "courserun_id__in": pk_set})
    history_bulk_record(list(rows), ProgramExcludedCourseRun, history_type="+" if action == "post_add" else "-")
