"""What other apps may use of enrollments."""

from enrollments.data import BulkEnrollmentItem, BulkEnrollmentResult
from enrollments.models import Enrollment, PendingEnrollment
from enrollments.services import bulk_enroll, enrollment_upsert, pending_enrollments_realize

__all__ = [
    "BulkEnrollmentItem",
    "BulkEnrollmentResult",
    "Enrollment",
    "PendingEnrollment",
    "bulk_enroll",
    "enrollment_upsert",
    "pending_enrollments_realize",
]
