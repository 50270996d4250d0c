"""What other apps may use of enrollments."""

from enrollments.models import Enrollment
from enrollments.services import enrollment_upsert

__all__ = ["Enrollment", "enrollment_upsert"]
