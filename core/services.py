"""Writes of learner identity: find-or-create a learner from what an ingest call or JWT says.

The LMS user id is the stable identity; a username is only a name that can change. See
docs/decisions/0003-learner-identity.rst.
"""

import logging

from django.db import IntegrityError, transaction
from django.db.models import Q

from core.exceptions import LearnerIdentityConflict
from core.models import User
from core.signals import learner_identified

log = logging.getLogger(__name__)


def learner_get_or_create(*, username: str, lms_user_id: int | None = None, email: str | None = None) -> User:
    """Return the learner for these identifiers, creating or updating the row as needed.

    - A known ``lms_user_id`` under another username is a rename: the row takes the new username.
    - A known username without an LMS user id adopts the given one.
    - A username held by a *different* LMS user id, or a rename onto a taken username, raises
      ``LearnerIdentityConflict`` and changes nothing.
    - ``email`` (lower-cased) replaces the stored one when given.
    Safe under concurrent callers: a lost creation race re-reads the winner's row.
    Sends ``core.signals.learner_identified`` when the row gains or changes its email.
    """
    email = email.strip().lower() if email else None
    for attempt in range(2):
        try:
            with transaction.atomic():
                user, email_set = _learner_upsert(username=username, lms_user_id=lms_user_id, email=email)
        except IntegrityError:
            if attempt:
                raise
            log.info("learner_upsert_race", extra={"username": username, "lms_user_id": lms_user_id})
            continue
        if email_set:
            learner_identified.send(sender=User, learner=user)
        return user
    raise AssertionError("unreachable")


def _learner_upsert(*, username: str, lms_user_id: int | None, email: str | None) -> tuple[User, bool]:
    """The learner, and whether its email was set by this call."""
    # Find the rows without locking, then lock them through the primary key only, in key order.
    # Locking through the username index and then the lms_user_id index deadlocks on MySQL/MariaDB
    # when concurrent first requests for one learner race (their failed inserts keep share locks on
    # those index entries). A row that changes in between makes the insert fail; the caller retries.
    matches = Q(username=username) if lms_user_id is None else Q(username=username) | Q(lms_user_id=lms_user_id)
    pks = list(User.objects.filter(matches).values_list("pk", flat=True))
    locked = list(User.objects.select_for_update().filter(pk__in=pks).order_by("pk")) if pks else []
    by_name = next((row for row in locked if row.username == username), None)
    user = by_name
    if lms_user_id is not None:
        by_id = next((row for row in locked if row.lms_user_id == lms_user_id), None)
        if by_id is not None and by_name is not None and by_id.pk != by_name.pk:
            raise LearnerIdentityConflict(
                f"Username {username!r} belongs to another learner than LMS user id {lms_user_id}."
            )
        if by_name is not None and by_name.lms_user_id not in (None, lms_user_id):
            raise LearnerIdentityConflict(
                f"Username {username!r} is held by LMS user id {by_name.lms_user_id}, not {lms_user_id}."
            )
        if by_id is not None and by_id.username != username:
            log.info("learner_renamed", extra={"lms_user_id": lms_user_id, "old": by_id.username, "new": username})
            by_id.username = username
            by_id.save(update_fields=["username"])
        user = by_id or by_name
    if user is None:
        return User.objects.create(username=username, lms_user_id=lms_user_id, email=email or ""), bool(email)
    changed = []
    if lms_user_id is not None and user.lms_user_id is None:
        user.lms_user_id = lms_user_id
        changed.append("lms_user_id")
    if email and user.email != email:
        user.email = email
        changed.append("email")
    if changed:
        user.save(update_fields=changed)
    return user, "email" in changed
