"""What other apps may use of enrollments (plain values, no model instances: ADR 0015)."""

from enrollments.backends.lms import CallGuard, lms_call_with_retries
from enrollments.data import BulkEnrollmentItem, BulkEnrollmentResult
from enrollments.exceptions import UpstreamError
from enrollments.lms import LmsAccountProfile, LmsCertificate, LmsClient, LmsEnrollmentRecord, LmsGrade
from enrollments.selectors import (
    ActiveEnrollment,
    active_enrollments_in,
    enrollments_of,
    learner_enrollment_history,
    learner_enrollment_in_run,
    learner_enrollment_records,
    learner_enrollment_states,
    lms_account_profile,
    pending_emails,
)
from enrollments.services import (
    bulk_enroll,
    enrollment_upsert,
    enrollments_apply,
    pending_enrollments_realize,
    pending_enrollments_retire,
)

__all__ = [
    "ActiveEnrollment",
    "BulkEnrollmentItem",
    "BulkEnrollmentResult",
    "CallGuard",
    "LmsAccountProfile",
    "LmsCertificate",
    "LmsClient",
    "LmsEnrollmentRecord",
    "LmsGrade",
    "UpstreamError",
    "active_enrollments_in",
    "bulk_enroll",
    "enrollment_upsert",
    "enrollments_apply",
    "enrollments_of",
    "learner_enrollment_history",
    "learner_enrollment_in_run",
    "learner_enrollment_records",
    "learner_enrollment_states",
    "lms_account_profile",
    "lms_call_with_retries",
    "pending_emails",
    "pending_enrollments_realize",
    "pending_enrollments_retire",
]
