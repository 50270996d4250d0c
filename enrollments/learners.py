"""Learners an LMS lookup returned, recorded in bulk: the batch counterpart of ``core.services.learner_get_or_create``.

The rules are those of ``learner_get_or_create`` (docs/decisions/0003-learner-identity.rst): the LMS
user id is the identity, a known id under another username is a rename, a username held by another
id is a conflict, the email is replaced when it differs. One bulk enrollment through the LMS can
name thousands of learners, so this costs a few queries per chunk of accounts instead of ~8 per
learner, and realises the pending enrollments of every learner whose email was set in one task.
"""

import logging
from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.db.models import Q

from core.db import retry_on_integrity_error
from core.exceptions import LearnerIdentityConflict
from core.models import User
from core.services import learner_get_or_create
from enrollments.backends.writes import BATCH_SIZE
from enrollments.lms import LmsAccount
from enrollments.selectors import CHUNK, chunked

log = logging.getLogger(__name__)

Recorded = dict[str, User | LearnerIdentityConflict]


def lms_accounts_record(*, accounts: Sequence[LmsAccount]) -> Recorded:
    """Local rows for these LMS accounts, by LMS username (a conflict instead of a row where the ids disagree).

    Learners created with an email, or whose email changed, are arrivals: their pending enrollments
    are realised once this commits (``enrollments.pending_enrollments_realize``, one task for all).
    """
    unique = list({account.username: account for account in accounts}.values())
    if not unique:
        return {}
    try:
        recorded, arrived = retry_on_integrity_error(lambda: _accounts_upsert(unique), attempts=2)
    except IntegrityError:
        # Concurrent writers keep colliding with this batch (or renames cross within it): one by one,
        # with learner_get_or_create's own retry; it sends learner_identified for each arrival itself.
        log.info("lms_accounts_record_one_by_one", extra={"accounts": len(unique)})
        return _accounts_record_one_by_one(unique)
    if arrived:
        from enrollments.tasks import pending_enrollments_realize_task

        transaction.on_commit(lambda: pending_enrollments_realize_task.delay(learner_ids=arrived))
    return recorded


def _accounts_record_one_by_one(accounts: Sequence[LmsAccount]) -> Recorded:
    recorded: Recorded = {}
    for account in accounts:
        try:
            recorded[account.username] = learner_get_or_create(
                username=account.username, lms_user_id=account.id, email=account.email
            )
        except LearnerIdentityConflict as exc:
            recorded[account.username] = exc
    return recorded


def _accounts_upsert(accounts: list[LmsAccount]) -> tuple[Recorded, list[int]]:
    """The rows for ``accounts`` (created, renamed, updated), and the pks of the learners whose email was set."""
    # As in learner_get_or_create: find the rows, then lock them through the primary key in key order
    # (locking through two unique indexes deadlocks on MySQL/MariaDB).
    pks: set[int] = set()
    for batch in chunked(accounts, CHUNK // 2):
        names = [account.username for account in batch]
        ids = [account.id for account in batch]
        pks.update(User.objects.filter(Q(username__in=names) | Q(lms_user_id__in=ids)).values_list("pk", flat=True))
    by_name: dict[str, User] = {}
    by_id: dict[int, User] = {}
    for pk_batch in chunked(sorted(pks), CHUNK):
        for user in User.objects.select_for_update().filter(pk__in=pk_batch).order_by("pk"):
            by_name[user.username] = user
            if user.lms_user_id is not None:
                by_id[user.lms_user_id] = user

    recorded: Recorded = {}
    to_create: list[User] = []
    to_update: dict[int, User] = {}
    arrived: list[User] = []
    for account in accounts:
        named, identified = by_name.get(account.username), by_id.get(account.id)
        if named is not None and identified is not None and named.pk != identified.pk:
            recorded[account.username] = LearnerIdentityConflict(
                f"Username {account.username!r} belongs to another learner than LMS user id {account.id}."
            )
            continue
        if named is not None and named.lms_user_id not in (None, account.id):
            recorded[account.username] = LearnerIdentityConflict(
                f"Username {account.username!r} is held by LMS user id {named.lms_user_id}, not {account.id}."
            )
            continue
        found = identified or named
        if found is None:
            new = User(username=account.username, lms_user_id=account.id, email=account.email)
            to_create.append(new)
            by_name[new.username], by_id[account.id] = new, new
            if account.email:
                arrived.append(new)
            recorded[account.username] = new
            continue
        user = found
        changed = False
        if user.username != account.username:
            log.info(
                "learner_renamed", extra={"lms_user_id": account.id, "old": user.username, "new": account.username}
            )
            by_name.pop(user.username, None)
            user.username = account.username
            by_name[user.username] = user
            changed = True
        if user.lms_user_id is None:
            user.lms_user_id = account.id
            by_id[account.id] = user
            changed = True
        if account.email and user.email != account.email:
            user.email = account.email
            arrived.append(user)
            changed = True
        if changed and user.pk is not None:
            to_update[user.pk] = user
        recorded[account.username] = user

    if to_create:
        User.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
        missing = [row for row in to_create if row.pk is None]  # MySQL returns no ids from a bulk insert
        for user_batch in chunked(missing, CHUNK):
            pk_by_name = dict(
                User.objects.filter(username__in=[row.username for row in user_batch]).values_list("username", "pk")
            )
            for row in user_batch:
                row.pk = pk_by_name[row.username]
    if to_update:
        User.objects.bulk_update(list(to_update.values()), ["username", "lms_user_id", "email"], batch_size=BATCH_SIZE)
    log.info(
        "lms_accounts_recorded",
        extra={"accounts": len(accounts), "added": len(to_create), "updated": len(to_update)},
    )
    return recorded, sorted({user.pk for user in arrived})
