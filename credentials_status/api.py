"""What other apps may use of the learner records: the writers of credentials and grades, the status readers."""

from credentials_status.models import CertificateType, CourseRunCredential, CredentialStatus, Grade
from credentials_status.selectors import learner_program_status, learner_programs
from credentials_status.services import (
    course_run_credential_upsert,
    course_run_credentials_apply,
    grade_upsert,
    grades_apply,
)

__all__ = [
    "CertificateType",
    "CourseRunCredential",
    "CredentialStatus",
    "Grade",
    "course_run_credential_upsert",
    "course_run_credentials_apply",
    "grade_upsert",
    "grades_apply",
    "learner_program_status",
    "learner_programs",
]
