"""What other apps may use of enrollments."""

from enrollments.backends.lms import CallGuard, lms_call_with_retries
from enrollments.data import BulkEnrollmentItem, BulkEnrollmentResult
from enrollments.exceptions import UpstreamError
from enrollments.lms import LmsAccountProfile, LmsCertificate, LmsClient, LmsEnrollmentRecord, LmsGrade
from enrollments.models import Enrollment, PendingEnrollment
from enrollments.selectors import learner_enrollment_in_run, lms_account_profile, pending_emails
from enrollments.services import (
    bulk_enroll,
    enrollment_upsert,
    enrollments_apply,
    pending_enrollments_realize,
    pending_enrollments_retire,
)

__all__ = [
    "BulkEnrollmentItem",
    "BulkEnrollmentResult",
    "CallGuard",
    "Enrollment",
    "LmsAccountProfile",
    "LmsCertificate",
    "LmsClient",
    "LmsEnrollmentRecord",
    "LmsGrade",
    "PendingEnrollment",
    "UpstreamError",
    "bulk_enroll",
    "enrollment_upsert",
    "enrollments_apply",
    "learner_enrollment_in_run",
    "lms_account_profile",
    "lms_call_with_retries",
    "pending_emails",
    "pending_enrollments_realize",
    "pending_enrollments_retire",
]
