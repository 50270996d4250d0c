"""Learner retirement and username replacement: the one place that reaches every copy of a learner's PII.

What is PII here and where each copy lives: docs/decisions/0012-pii-and-retirement.rst. Each app
scrubs its own copies through its ``api.py``; this module decides who is retired and in what order.
Nothing here logs a username, an email address or a name: only row ids and counts.
"""

import logging
from collections.abc import Sequence

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from social_django.models import UserSocialAuth
from user_util import user_util

from core.history import history_source
from core.models import User
from credit import api as credit_api
from enrollments import api as enrollments_api
from privacy.data import RetirementResult, UsernameReplacementResult
from privacy.exceptions import LearnerNotFound, RetirementNotConfigured

log = logging.getLogger(__name__)


def retired_username(username: str) -> str:
    """The Open edX retired form of ``username`` (user-util, last salt of ``RETIRED_USER_SALTS``)."""
    return user_util.get_retired_username(username, settings.RETIRED_USER_SALTS, settings.RETIRED_USERNAME_FMT)


def retired_email(email: str) -> str:
    """The Open edX retired form of ``email`` (user-util, last salt of ``RETIRED_USER_SALTS``)."""
    return user_util.get_retired_email(email, settings.RETIRED_USER_SALTS, settings.RETIRED_EMAIL_FMT)


def _retired_usernames_all_salts(username: str) -> list[str]:
    """The retired forms of ``username`` under every configured salt (a learner retired before a salt rotation)."""
    return list(
        user_util.get_all_retired_usernames(username, settings.RETIRED_USER_SALTS, settings.RETIRED_USERNAME_FMT)
    )


def _learner_to_retire(*, lms_user_id: int | None, original_username: str) -> User | None:
    """The learner the retirement driver names, locked; ``None`` when this service never knew them.

    Found by LMS user id, else by the original username when that row has no LMS user id (a row
    holding another id is another person), else by the retired username (retired before, idempotent).
    """
    users = User.objects.select_for_update()
    learner = users.filter(lms_user_id=lms_user_id).first() if lms_user_id is not None else None
    if learner is None:
        learner = users.filter(username=original_username, lms_user_id__isnull=True).first()
    if learner is None:
        learner = users.filter(username__in=_retired_usernames_all_salts(original_username)).first()
    return learner


def learner_retire(*, lms_user_id: int | None, original_username: str, retired_by: str) -> RetirementResult:
    """Retire a learner, the Open edX way: replace every copy of their PII; keep their records.

    - The user row takes the retired username and email (user-util, ``RETIRED_USER_SALTS``), loses
      first, last and full name, its password and its active flag, and records ``retired_at``; its
      LMS user id stays, so a second call finds the row (idempotent) and records keep counting.
    - Credentials, grades, enrollments and credit outcomes stay attached to the row.
    - Every other copy is scrubbed: credit request parameters (and their history), pending
      enrollments waiting for the learner's email (deleted; their history keeps the retired email),
      the learner's LMS sign-in links (social-auth rows holding the LMS username and tokens: deleted).
    - History rows written meanwhile name ``retirement by <retired_by>`` as their source.

    Raises ``LearnerNotFound`` when no row matches (the retirement driver treats it as done), and
    ``RetirementNotConfigured`` (503, nothing changed) without ``RETIRED_USER_SALTS``.
    Safe to call again: a retired learner is scrubbed again (a no-op) and reported ``already_retired``.
    """
    if not settings.RETIRED_USER_SALTS:
        raise RetirementNotConfigured()
    with transaction.atomic(), history_source(f"retirement by {retired_by}"):
        learner = _learner_to_retire(lms_user_id=lms_user_id, original_username=original_username)
        if learner is None:
            raise LearnerNotFound("No learner with this LMS user id or username.")
        already_retired = learner.retired_at is not None
        original_email = learner.email
        if not already_retired:
            new_username = retired_username(original_username)
            if User.objects.filter(username=new_username).exclude(pk=learner.pk).exists():
                # Two rows for one person (a username-only row and an LMS-id row): the retired name
                # must stay unique, so this row gets one derived from its own current username too.
                new_username = retired_username(f"{original_username}:{learner.pk}")
            learner.username = new_username
            learner.email = retired_email(original_email) if original_email else ""
            learner.first_name = learner.last_name = learner.full_name = ""
            learner.is_active = False
            learner.set_unusable_password()
            learner.retired_at = timezone.now()
            learner.save()
        scrubbed_requests = credit_api.learner_credit_pii_retire(
            learner_id=learner.pk, retired_username=learner.username, retired_email=learner.email
        )
        # The LMS sign-in link (social-auth): its uid is the LMS username and extra_data the LMS's tokens.
        removed_sign_in_links, _ = UserSocialAuth.objects.filter(user=learner).delete()
        removed_pending = (
            enrollments_api.pending_enrollments_retire(email=original_email, retired_email=learner.email)
            if original_email and not already_retired
            else 0
        )
    log.info(
        "learner_retired",
        extra={
            "learner_id": learner.pk,
            "already_retired": already_retired,
            "credit_requests_scrubbed": scrubbed_requests,
            "pending_enrollments_removed": removed_pending,
            "sign_in_links_removed": removed_sign_in_links,
        },
    )
    return RetirementResult(learner_id=learner.pk, already_retired=already_retired)


def usernames_replace(*, mappings: Sequence[tuple[str, str]], replaced_by: str) -> UsernameReplacementResult:
    """Apply the LMS's username replacements ``(old, new)`` in order; each one is applied or fails alone.

    A mapping succeeds when the row holding ``old`` now holds ``new``, and also when no row holds
    ``old`` (nothing here to change, as the other Open edX services answer). It fails when ``new`` is
    held by another learner, or ``old`` names a retired learner. Logs counts only, never a username.
    """
    successful: list[tuple[str, str]] = []
    failed: list[tuple[str, str]] = []
    with history_source(f"username replacement by {replaced_by}"):
        for old, new in mappings:
            if _username_replace(old=old, new=new):
                successful.append((old, new))
            else:
                failed.append((old, new))
    log.info("usernames_replaced", extra={"successful": len(successful), "failed": len(failed)})
    return UsernameReplacementResult(successful=successful, failed=failed)


def _username_replace(*, old: str, new: str) -> bool:
    if old == new:
        return True
    try:
        with transaction.atomic():
            learner = User.objects.select_for_update().filter(username=old).first()
            if learner is None:
                return True
            if learner.retired_at is not None or User.objects.filter(username=new).exists():
                return False
            learner.username = new
            learner.save(update_fields=["username"])
    except IntegrityError:  # a concurrent writer took ``new``
        return False
    return True
