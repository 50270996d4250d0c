"""Pure rules that turn a learner's records for one run into a status. No database access."""

from datetime import datetime
from typing import Protocol

from credentials_status.data import LearnerRunStatus
from credentials_status.models import CredentialStatus


class CredentialLike(Protocol):
    # Read-only members, so frozen dataclasses fit as well as model rows.
    @property
    def status(self) -> str: ...

    @property
    def certificate_available_date(self) -> datetime | None: ...


class EnrollmentLike(Protocol):
    @property
    def is_active(self) -> bool: ...


def credential_is_visible(credential: CredentialLike, now: datetime) -> bool:
    """An awarded credential whose available date is unset or past: what status answers list."""
    return credential.status == CredentialStatus.AWARDED and (
        credential.certificate_available_date is None or credential.certificate_available_date <= now
    )


def run_status(credential: CredentialLike | None, enrollment: EnrollmentLike | None, now: datetime) -> LearnerRunStatus:
    """A learner's status in a run: the credential speaks first, then an active enrollment."""
    if credential is not None:
        if credential.status == CredentialStatus.AWARDED:
            if credential_is_visible(credential, now):
                return LearnerRunStatus.AWARDED
            return LearnerRunStatus.PENDING_AVAILABILITY
        return LearnerRunStatus.REVOKED
    if enrollment is not None and enrollment.is_active:
        return LearnerRunStatus.ENROLLED
    return LearnerRunStatus.NOT_ENROLLED
