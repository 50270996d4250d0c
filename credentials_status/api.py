"""What other apps may use of the learner records: the writers of credentials and grades, the status
readers, and plain-value reads (no model instances: ADR 0015)."""

from credentials_status.models import CertificateType, CredentialStatus
from credentials_status.selectors import (
    awarded_credentials_of,
    credential_held,
    credential_type_held,
    grades_in_runs,
    learner_credential_history,
    learner_credential_records,
    learner_grade_history,
    learner_grade_records,
    learner_program_status,
    learner_programs,
)
from credentials_status.services import (
    course_run_credential_upsert,
    course_run_credentials_apply,
    grade_upsert,
    grades_apply,
)

__all__ = [
    "CertificateType",
    "CredentialStatus",
    "awarded_credentials_of",
    "course_run_credential_upsert",
    "course_run_credentials_apply",
    "credential_held",
    "credential_type_held",
    "grade_upsert",
    "grades_apply",
    "grades_in_runs",
    "learner_credential_history",
    "learner_credential_records",
    "learner_grade_history",
    "learner_grade_records",
    "learner_program_status",
    "learner_programs",
]
