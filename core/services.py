"""Writes of learner identity: find-or-create learners from what an ingest call, a JWT or an LMS lookup says.

The LMS user id is the stable identity; a username is only a name that can change. See
docs/decisions/0003-learner-identity.rst. Both write paths (one learner, a batch) lock the rows the
same way and decide with the same rules (``_identity_decide``); nothing else writes ``core.User``
identity.
"""

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError
from django.db.models import Q

from core.db import chunked, retry_on_integrity_error, rows_lock
from core.exceptions import InvalidLearnerIdentity, LearnerIdentityConflict
from core.identifiers import is_lms_user_id, is_storable_email, username_invalid_reason
from core.models import EMAIL_MAX_LENGTH, User
from core.signals import learner_identified, learners_identified

log = logging.getLogger(__name__)

# Bounded IN lists (SQLite's bound-parameter limit) and INSERT/UPDATE batches for the batch path.
_CHUNK = 2000
_BATCH_SIZE = 1000


@dataclass(frozen=True)
class LearnerAccount:
    """A learner as a caller names them: the arguments of ``learner_get_or_create``."""

    username: str
    lms_user_id: int | None = None
    email: str | None = None

    def __post_init__(self) -> None:
        # Every write path builds one, so no caller (REST, Python API, LMS batch) reaches the
        # database with identifiers it would refuse or truncate.
        errors: dict[str, list[str]] = {}
        username_problem = username_invalid_reason(self.username)
        if username_problem:
            errors["username"] = [username_problem]
        if self.lms_user_id is not None and not is_lms_user_id(self.lms_user_id):
            errors["lms_user_id"] = ["An LMS user id is a positive 64-bit integer."]
        if self.email is not None and not is_storable_email(self.email):
            errors["email"] = [f"An email address is a string of at most {EMAIL_MAX_LENGTH} characters."]
        if errors:
            raise InvalidLearnerIdentity(errors)


@dataclass(frozen=True)
class _Decision:
    """What ADR 0003's rules make of one account, given the stored rows matching it."""

    row: User | None  # the stored (or, in a batch, earlier-created) row the account is; None: a new row
    changes: dict[str, Any] = field(default_factory=dict)  # fields to set: all of a new row's, else what differs
    email_named: bool = False  # the account named an email: an arrival, whose pending enrollments are checked

    @property
    def created(self) -> bool:
        return self.row is None


def _identity_decide(
    *, account: LearnerAccount, rows_by_name: Mapping[str, User], rows_by_id: Mapping[int, User]
) -> _Decision:
    """The rules of ADR 0003 for one account, given the rows (locked by the caller) by username and LMS user id.

    No database access and no side effect: both write paths call it, then write what it decided.
    Raises ``LearnerIdentityConflict`` when the username and the LMS user id name different learners.
    """
    username, lms_user_id = account.username, account.lms_user_id
    email = account.email.strip().lower() if account.email else None
    by_name = rows_by_name.get(username)
    by_id = rows_by_id.get(lms_user_id) if lms_user_id is not None else None
    row = by_name
    if lms_user_id is not None:
        # Rows are compared by identity: in a batch, rows created earlier in it have no pk yet.
        if by_id is not None and by_name is not None and by_id is not by_name:
            raise LearnerIdentityConflict(
                f"Username {username!r} belongs to another learner than LMS user id {lms_user_id}."
            )
        if by_name is not None and by_name.lms_user_id not in (None, lms_user_id):
            raise LearnerIdentityConflict(
                f"Username {username!r} is held by LMS user id {by_name.lms_user_id}, not {lms_user_id}."
            )
        row = by_id or by_name
    if row is not None and row.retired_at is not None:
        # A retired learner keeps the retired identity: a late ingest or token naming them attaches
        # to the row and changes nothing (privacy.services.learner_retire).
        return _Decision(row=row)
    if row is None:
        return _Decision(
            row=None,
            changes={"username": username, "lms_user_id": lms_user_id, "email": email or ""},
            email_named=bool(email),
        )
    changes: dict[str, Any] = {}
    if row.username != username:  # only a row found by its LMS user id: a rename
        changes["username"] = username
    if lms_user_id is not None and row.lms_user_id is None:  # adopts the id
        changes["lms_user_id"] = lms_user_id
    if email and row.email != email:
        changes["email"] = email
    return _Decision(row=row, changes=changes, email_named=bool(email))


def _decision_apply(decision: _Decision) -> User:
    """The row as the decision leaves it (a new, unsaved row, or the stored one with its fields set); not saved."""
    if decision.row is None:
        return User(**decision.changes)
    user = decision.row
    if "username" in decision.changes:
        log.info(
            "learner_renamed",
            extra={"lms_user_id": user.lms_user_id, "old": user.username, "new": decision.changes["username"]},
        )
    for name, value in decision.changes.items():
        setattr(user, name, value)
    return user


def _rows_lock(accounts: Sequence[LearnerAccount]) -> tuple[dict[str, User], dict[int, User]]:
    """The stored rows holding these usernames or LMS user ids, locked; by username and by LMS user id.

    Finds the rows without locking, then locks them through the primary key only, in key order.
    Locking through the username index and then the lms_user_id index deadlocks on MySQL/MariaDB
    when concurrent first requests for one learner race (their failed inserts keep share locks on
    those index entries). A row that changes in between makes the write fail; the callers retry.
    """
    pks: set[int] = set()
    for batch in chunked(accounts, _CHUNK // 2):
        matches = Q(username__in=[account.username for account in batch])
        ids = [account.lms_user_id for account in batch if account.lms_user_id is not None]
        if ids:
            matches |= Q(lms_user_id__in=ids)
        pks.update(User.objects.filter(matches).values_list("pk", flat=True))
    by_name: dict[str, User] = {}
    by_id: dict[int, User] = {}
    for pk_batch in chunked(sorted(pks), _CHUNK):
        for user in rows_lock(User.objects.filter(pk__in=pk_batch)).order_by("pk"):
            by_name[user.username] = user
            if user.lms_user_id is not None:
                by_id[user.lms_user_id] = user
    return by_name, by_id


def learner_get_or_create(*, username: str, lms_user_id: int | None = None, email: str | None = None) -> User:
    """Return the learner for these identifiers, creating or updating the row as needed.

    - A known ``lms_user_id`` under another username is a rename: the row takes the new username.
    - A known username without an LMS user id adopts the given one.
    - A username held by a *different* LMS user id, or a rename onto a taken username, raises
      ``LearnerIdentityConflict`` and changes nothing.
    - ``email`` (lower-cased) replaces the stored one when given.
    Safe under concurrent callers: a lost creation race re-reads the winner's row.
    Sends ``core.signals.learner_identified`` when an email is given (new, changed or the same): an
    arrival, whose pending enrollments enrollments realises if there are any.
    """
    user, email_named = _learner_write(LearnerAccount(username=username, lms_user_id=lms_user_id, email=email))
    if email_named:
        learner_identified.send(sender=User, learner=user)
    return user


def _learner_write(account: LearnerAccount) -> tuple[User, bool]:
    """One account written in its own (nested) transaction, again once after a lost creation race.

    The learner, and whether the account named an email. Raises ``LearnerIdentityConflict``.
    """

    def write() -> tuple[User, bool]:
        by_name, by_id = _rows_lock([account])
        decision = _identity_decide(account=account, rows_by_name=by_name, rows_by_id=by_id)
        user = _decision_apply(decision)
        if decision.created:
            user.save(force_insert=True)
        elif decision.changes:
            user.save(update_fields=list(decision.changes))
        return user, decision.email_named

    return retry_on_integrity_error(write, attempts=2)


def learners_get_or_create_many(*, accounts: Sequence[LearnerAccount]) -> list[User | LearnerIdentityConflict]:
    """``learner_get_or_create`` for each account in turn, in a few queries per chunk of accounts.

    Returns one item per account, in order: its row, or the ``LearnerIdentityConflict`` that
    ``learner_get_or_create`` would have raised for it (that account changes nothing; the others are
    written). The rules, the lower-cased email and the pk-ordered row locks are those of
    ``learner_get_or_create``. When a batch keeps colliding with concurrent writers (or renames
    within it cross, which one UPDATE cannot apply), it is written one account at a time instead.
    Sends ``core.signals.learners_identified`` once, with every learner whose account named an email.
    """
    if not accounts:
        return []
    try:
        results, arrived = retry_on_integrity_error(lambda: _learners_upsert(accounts), attempts=2)
    except IntegrityError:
        log.info("learners_get_or_create_one_by_one", extra={"accounts": len(accounts)})
        results, arrived = _learners_write_one_by_one(accounts)
    if arrived:
        learners_identified.send(sender=User, learners=arrived)
    return results


def _learners_write_one_by_one(
    accounts: Sequence[LearnerAccount],
) -> tuple[list[User | LearnerIdentityConflict], list[User]]:
    results: list[User | LearnerIdentityConflict] = []
    arrived: dict[int, User] = {}
    for account in accounts:
        try:
            user, email_named = _learner_write(account)
        except LearnerIdentityConflict as exc:
            results.append(exc)
            continue
        results.append(user)
        if email_named:
            arrived[user.pk] = user
    return results, list(arrived.values())


def _learners_upsert(accounts: Sequence[LearnerAccount]) -> tuple[list[User | LearnerIdentityConflict], list[User]]:
    """The batch written: one item per account, and the learners whose account named an email."""
    by_name, by_id = _rows_lock(accounts)
    results: list[User | LearnerIdentityConflict] = []
    to_create: list[User] = []
    to_update: dict[int, User] = {}
    arrived: dict[int, User] = {}  # by id(): rows created here have no pk until written
    for account in accounts:
        try:
            decision = _identity_decide(account=account, rows_by_name=by_name, rows_by_id=by_id)
        except LearnerIdentityConflict as exc:
            results.append(exc)
            continue
        renamed = decision.row if "username" in decision.changes else None
        if renamed is not None and by_name.get(renamed.username) is renamed:
            del by_name[renamed.username]  # the old name is free for the accounts after this one
        user = _decision_apply(decision)
        # Later accounts of the batch see this one's result, as sequential calls would.
        by_name[user.username] = user
        if user.lms_user_id is not None:
            by_id[user.lms_user_id] = user
        if decision.created:
            to_create.append(user)
        elif decision.changes and user.pk is not None:  # a row created earlier in the batch is inserted as it ends up
            to_update[user.pk] = user
        if decision.email_named:
            arrived[id(user)] = user
        results.append(user)

    # Updates first: a rename frees a name that a new row of the batch may take.
    if to_update:
        User.objects.bulk_update(list(to_update.values()), ["username", "lms_user_id", "email"], batch_size=_BATCH_SIZE)
    if to_create:
        User.objects.bulk_create(to_create, batch_size=_BATCH_SIZE)
        missing = [row for row in to_create if row.pk is None]  # MySQL/MariaDB return no ids from a bulk insert
        for user_batch in chunked(missing, _CHUNK):
            pk_by_name = dict(
                User.objects.filter(username__in=[row.username for row in user_batch]).values_list("username", "pk")
            )
            for row in user_batch:
                row.pk = pk_by_name[row.username]
    log.info(
        "learners_recorded",
        extra={"accounts": len(accounts), "added": len(to_create), "updated": len(to_update)},
    )
    return results, list(arrived.values())
