"""Writes of enrollments as learner records."""

import logging
from uuid import UUID

from core.db import retry_on_integrity_error
from core.models import User
from enrollments.models import Enrollment
from programs.models import CourseRun

log = logging.getLogger(__name__)


def enrollment_upsert(
    *, learner: User, course_run: CourseRun, mode: str, is_active: bool = True, license_uuid: UUID | None = None
) -> tuple[Enrollment, bool]:
    """Create or update the learner's enrollment in a run. Returns ``(enrollment, created)``."""
    defaults: dict[str, object] = {"mode": mode, "is_active": is_active}
    if license_uuid is not None:
        defaults["license_uuid"] = license_uuid

    def write() -> tuple[Enrollment, bool]:
        return Enrollment.objects.update_or_create(learner=learner, course_run=course_run, defaults=defaults)

    enrollment, created = retry_on_integrity_error(write)
    log.info(
        "enrollment_recorded",
        extra={"learner_id": learner.pk, "course_run_key": course_run.key, "active": is_active, "was_created": created},
    )
    return enrollment, created
