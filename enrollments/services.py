"""Writes of enrollments: single learner records, bulk enrollment, pending enrollments realised."""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime
from uuid import UUID

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from edx_django_utils.monitoring import set_custom_attribute
from rest_framework.exceptions import ValidationError

from core.api import learner_find, learner_find_by_email, learner_get_or_create
from core.db import chunked, retry_on_integrity_error
from core.history import history_bulk_delete, history_bulk_record
from core.models import RecordSource, User
from core.records import RecordChange, change_is_stale, record_changes_apply
from core.tasks import task_enqueue_on_commit
from enrollments.backends import BackendResult, EnrollmentBackend, PreparedPair, enrollment_backend_get
from enrollments.backends.writes import BATCH_SIZE, enrollment_history_record
from enrollments.data import (
    MAX_EMAIL_LENGTH,
    BulkEnrollmentItem,
    BulkEnrollmentResult,
    EnrollmentFailure,
    EnrollmentPending,
    EnrollmentSuccess,
    FailureCode,
    Outcome,
)
from enrollments.models import Enrollment, PendingEnrollment
from enrollments.notifications import enrollment_notices
from enrollments.selectors import CHUNK, course_runs_by_key, learners_by_email, pending_emails_page
from enrollments.tasks import bulk_enrollment_notify_task, pending_enrollments_realize_task
from programs.api import InvalidCourseRunKey, RunIdentity, course_run_ensure, parse_course_run_key

log = logging.getLogger(__name__)


def enrollment_upsert(
    *,
    learner: User,
    course_run: RunIdentity,
    mode: str,
    is_active: bool = True,
    license_uuid: UUID | None = None,
    source: str = RecordSource.INGEST,
    changed_at: datetime | None = None,
    changed_by: str = "",
) -> tuple[Enrollment, bool]:
    """Create or update the learner's enrollment in a run. Returns ``(enrollment, created)``.

    ``changed_at`` is when the system of record made the change (an event's time; default now): a
    change older than the stored one's is ignored and the stored row returned unchanged.
    """
    now = changed_at or timezone.now()
    defaults: dict[str, object] = {
        "mode": mode,
        "is_active": is_active,
        "source": source,
        "source_time": now,
        "changed_by": changed_by,
    }
    if license_uuid is not None:
        defaults["license_uuid"] = license_uuid

    def write() -> tuple[Enrollment, bool]:
        stored = Enrollment.objects.select_for_update().filter(learner=learner, course_run_id=course_run.id).first()
        if stored is not None and change_is_stale(stored_time=stored.source_time, incoming_time=now):
            log.info("enrollment_change_stale", extra={"learner_id": learner.pk, "course_run_key": course_run.key})
            return stored, False
        if stored is None:  # a concurrent first write fails the insert; retry_on_integrity_error reads it then
            return Enrollment.objects.create(learner=learner, course_run_id=course_run.id, **defaults), True
        for name, value in defaults.items():
            setattr(stored, name, value)
        stored.save(update_fields=[*defaults, "modified"])  # the row is locked already: no second read
        return stored, False

    enrollment, created = retry_on_integrity_error(write)
    log.info(
        "enrollment_recorded",
        extra={"learner_id": learner.pk, "course_run_key": course_run.key, "active": is_active, "was_created": created},
    )
    return enrollment, created


def enrollments_apply(changes: Sequence[RecordChange]) -> list[bool | None]:
    """Many enrollment changes at once, in order (the event consumer's batches): ``core.records.record_changes_apply``.

    ``values`` as ``enrollment_upsert`` sets them (``mode``, ``is_active``, ``source``,
    ``changed_by``; ``license_uuid`` when given). Pending enrollments are not realised here: the
    caller realises those of all the batch's learners at once (``pending_enrollments_realize_many``).
    """
    return record_changes_apply(Enrollment, changes)


def _normalise_email(value: str | None) -> str | None:
    return value.strip().lower() if value is not None else None


def _email_problem(email: str) -> str | None:
    """Why this (normalised) email cannot be enrolled, or ``None`` when it can."""
    if len(email) > MAX_EMAIL_LENGTH:
        # validate_email allows up to 320 characters; a pending row (and RFC 5321's path) holds 254.
        return f"The email {email[:40]!r}... is longer than {MAX_EMAIL_LENGTH} characters."
    try:
        validate_email(email)
    except DjangoValidationError:
        return f"{email!r} is not a valid email address."
    return None


def _canonical_run_key(value: str) -> str | None:
    try:
        return parse_course_run_key(value).run_key
    except InvalidCourseRunKey:
        return None


def default_mode(license_uuid: UUID | None) -> str:
    """Subscription (licensed) enrollments are verified seats; others default to audit."""
    return "verified" if license_uuid is not None else "audit"


def _distinct_items(items: Sequence[BulkEnrollmentItem]) -> tuple[dict[int, BulkEnrollmentItem], dict[int, int]]:
    """Items normalised (email trimmed and lower-cased, run key canonical) and without repeats.

    Returns the distinct items by request index, and ``{index of a repeat: index of its first}``.
    """
    distinct: dict[int, BulkEnrollmentItem] = {}
    first_index: dict[tuple[str | None, int | None, str], int] = {}
    duplicate_of: dict[int, int] = {}
    canonical: dict[str, str] = {}
    for index, raw in enumerate(items):
        if raw.course_run_key not in canonical:
            canonical[raw.course_run_key] = _canonical_run_key(raw.course_run_key) or raw.course_run_key.strip()
        item = replace(raw, email=_normalise_email(raw.email) or None, course_run_key=canonical[raw.course_run_key])
        identity = (item.email, item.user_id, item.course_run_key)
        if identity in first_index:
            duplicate_of[index] = first_index[identity]
        else:
            first_index[identity] = index
            distinct[index] = item
    return distinct, duplicate_of


def _prepare(
    items: dict[int, BulkEnrollmentItem], backend: EnrollmentBackend
) -> tuple[list[PreparedPair], dict[int, Outcome]]:
    """The pairs worth giving to the backend, and the failures decided without it (syntax, catalog).

    A run the catalog marks removed, or whose ``end`` has passed, takes no enrollments (the LMS
    refuses enrollment once a run's enrollment period is over): a failure with a reason.
    """
    failures: dict[int, Outcome] = {}
    email_problem: dict[str, str | None] = {}
    run_key_ok: dict[str, bool] = {}
    candidates: dict[int, BulkEnrollmentItem] = {}
    for index, item in items.items():
        if item.email is not None and item.email not in email_problem:
            email_problem[item.email] = _email_problem(item.email)
        if item.course_run_key not in run_key_ok:
            run_key_ok[item.course_run_key] = _canonical_run_key(item.course_run_key) is not None
        problem = email_problem[item.email] if item.email is not None else None
        if problem is not None:
            failures[index] = EnrollmentFailure.of(item, FailureCode.INVALID_EMAIL, problem)
        elif not run_key_ok[item.course_run_key]:
            failures[index] = EnrollmentFailure.of(
                item, FailureCode.INVALID_COURSE_RUN_KEY, f"{item.course_run_key!r} is not a valid course run key."
            )
        else:
            candidates[index] = item

    runs = course_runs_by_key(keys={item.course_run_key for item in candidates.values()})
    now = timezone.now()
    pairs: list[PreparedPair] = []
    for index, item in candidates.items():
        run = runs.get(item.course_run_key)
        if run is not None and run.removed:
            failures[index] = EnrollmentFailure.of(
                item, FailureCode.COURSE_RUN_REMOVED, "The course run was removed from the catalog."
            )
        elif run is not None and run.end is not None and run.end <= now:
            failures[index] = EnrollmentFailure.of(
                item,
                FailureCode.COURSE_RUN_ENDED,
                f"The course run ended on {run.end:%Y-%m-%d}; it no longer takes enrollments.",
            )
        elif run is None and backend.requires_known_runs:
            failures[index] = EnrollmentFailure.of(item, FailureCode.UNKNOWN_COURSE_RUN, "No course run has this key.")
        else:
            mode = item.mode or default_mode(item.license_uuid)
            pairs.append(PreparedPair(index=index, item=item, run=run, mode=mode))
    return pairs, failures


def bulk_enroll(
    *, items: Sequence[BulkEnrollmentItem], notify: bool = False, backend: EnrollmentBackend | None = None
) -> BulkEnrollmentResult:
    """Enroll every (learner, course run) pair it can; best effort, idempotent, never all-or-nothing.

    - Emails are trimmed and lower-cased; the same pair twice is handled once (reported once), also
      when one learner is named in different ways (email, user_id, both) for one run.
    - Invalid email, invalid/unknown/removed/ended run, unknown user_id, email and user_id naming
      different learners: a failure with a reason. An unknown but valid email: a pending enrollment.
    - Each list of the result is in request order; ``item_outcomes`` has one outcome per item.
    - With ``notify``, one email per newly enrolled or newly pending learner is queued once the
      writes have committed.
    - A learner who appeared with a newly pending email while this ran gets those rows realised.
    """
    set_custom_attribute("enrollments.bulk_size", len(items))
    backend = backend or enrollment_backend_get()
    distinct, duplicate_of = _distinct_items(items)
    pairs, outcomes = _prepare(distinct, backend)
    written = backend.enroll(pairs=pairs) if pairs else BackendResult()
    outcomes.update(written.outcomes)
    newly_pending = sorted(
        {
            outcome.email
            for outcome in written.outcomes.values()
            if isinstance(outcome, EnrollmentPending) and outcome.created
        }
    )
    if newly_pending:
        # A learner who appeared after the backend looked learners up had their own realisation run
        # before these rows were committed, so it found nothing. Look again once they are committed:
        # either that realisation saw the rows, or this sees the learner (realising twice is harmless).
        # Not inside the backend's transaction: a learner committing between that look-up and our
        # commit would be missed by both. Outside any transaction on_commit runs at once.
        transaction.on_commit(lambda: pending_enrollments_realize_for_emails(emails=newly_pending))
    # The backend found more repeats once it knew the learners: (email, run) and (user_id, run) of one learner.
    for index, first in duplicate_of.items():
        duplicate_of[index] = written.duplicate_of.get(first, first)
    duplicate_of.update(written.duplicate_of)

    result = _bulk_result(outcomes, duplicate_of, len(items), written)
    if notify and result.notifications:
        notices = enrollment_notices(notifications=result.notifications)  # ids: no email in the task message
        task_enqueue_on_commit(bulk_enrollment_notify_task, notices=notices)
    log.info(
        "bulk_enrollment_done",
        extra={
            "backend": backend.name,
            "pairs": len(items),
            "successes": len(result.successes),
            "pending": len(result.pending),
            "failures": len(result.failures),
        },
    )
    return result


def _bulk_result(
    outcomes: dict[int, Outcome], duplicate_of: dict[int, int], item_count: int, written: BackendResult
) -> BulkEnrollmentResult:
    """The outcomes sorted into the result's lists (request order), and one outcome per item, repeats included."""
    result = BulkEnrollmentResult(notifications=written.notifications)
    for index in sorted(outcomes):
        outcome = outcomes[index]
        if isinstance(outcome, EnrollmentSuccess):
            result.successes.append(outcome)
        elif isinstance(outcome, EnrollmentPending):
            result.pending.append(outcome)
        else:
            result.failures.append(outcome)
    result.item_outcomes = [outcomes[duplicate_of.get(index, index)] for index in range(item_count)]
    return result


def pending_enrollments_realize(*, learner: User) -> list[Enrollment]:
    """Turn the pending enrollments of the learner's email into enrollments, exactly once.

    The pending rows are locked, converted and deleted in one transaction: a concurrent call for the
    same email waits for the lock, then finds nothing left. Returns the enrollments it created or
    reactivated (empty when there was nothing to realise).
    """
    return pending_enrollments_realize_many(learners=[learner])


def pending_enrollments_realize_many(*, learners: Iterable[User]) -> list[Enrollment]:
    """``pending_enrollments_realize`` for many learners at once, in a few queries per chunk of emails.

    An email held by several of these learners goes to the one with the lowest primary key.
    """
    owner = _email_owners(learners)
    if not owner:
        return []
    with transaction.atomic():
        pending = _pending_lock(owner)
        if not pending:
            return []
        to_create, reactivated = _pending_convert(pending, owner, _owner_enrollments_lock(pending, owner))
        if reactivated:
            Enrollment.objects.bulk_update(
                reactivated,
                ["is_active", "mode", "license_uuid", "enterprise_customer_uuid", "modified"],
                batch_size=BATCH_SIZE,
            )
        # ignore_conflicts: a bulk enrollment may insert the same (learner, run) meanwhile; it stays.
        created = Enrollment.objects.bulk_create(to_create, ignore_conflicts=True, batch_size=BATCH_SIZE)
        history_bulk_record(reactivated, Enrollment, history_type="~")
        enrollment_history_record(pairs=[(row.learner_id, row.course_run_id) for row in to_create], history_type="+")
        for pk_batch in chunked([row.pk for row in pending], CHUNK):
            history_bulk_delete(PendingEnrollment.objects.filter(pk__in=pk_batch))
    log.info(
        "pending_enrollments_realized",
        extra={
            "learner_ids": sorted({owner[row.email].pk for row in pending})[:50],
            "pending_rows": len(pending),
            "enrollments_written": len(created) + len(reactivated),
        },
    )
    return [*reactivated, *created]


def _email_owners(learners: Iterable[User]) -> dict[str, User]:
    """The learner each (normalised) email's pending enrollments go to: the lowest primary key holding it."""
    owner: dict[str, User] = {}
    for learner in sorted(learners, key=lambda row: row.pk):
        email = _normalise_email(learner.email)
        if email and email not in owner:
            owner[email] = learner
    return owner


def _pending_lock(owner: dict[str, User]) -> list[PendingEnrollment]:
    """The pending rows of these emails, locked in (email, pk) order across chunks, so that two
    realisations never wait on each other in a cycle."""
    pending: list[PendingEnrollment] = []
    for batch in chunked(sorted(owner), CHUNK // 2):
        pending.extend(PendingEnrollment.objects.select_for_update().filter(email__in=batch).order_by("email", "pk"))
    return pending


def _owner_enrollments_lock(
    pending: list[PendingEnrollment], owner: dict[str, User]
) -> dict[tuple[int, int], Enrollment]:
    """The owners' stored enrollments in the pending rows' runs, locked; by (learner id, run id)."""
    run_ids = sorted({row.course_run_id for row in pending})
    existing: dict[tuple[int, int], Enrollment] = {}
    for id_batch in chunked(sorted({owner[row.email].pk for row in pending}), CHUNK // 2):
        for locked in Enrollment.objects.select_for_update().filter(learner_id__in=id_batch, course_run_id__in=run_ids):
            existing[(locked.learner_id, locked.course_run_id)] = locked
    return existing


def _pending_convert(
    pending: list[PendingEnrollment], owner: dict[str, User], existing: dict[tuple[int, int], Enrollment]
) -> tuple[list[Enrollment], list[Enrollment]]:
    """(enrollments to create, stored inactive ones reactivated in memory) for the pending rows.

    An active enrollment the learner holds already stays as it is.
    """
    now = timezone.now()
    to_create: list[Enrollment] = []
    reactivated: list[Enrollment] = []
    for row in pending:
        learner = owner[row.email]
        enrollment = existing.get((learner.pk, row.course_run_id))
        if enrollment is None:
            to_create.append(
                Enrollment(
                    learner=learner,
                    course_run_id=row.course_run_id,
                    mode=row.mode,
                    is_active=True,
                    license_uuid=row.license_uuid,
                    enterprise_customer_uuid=row.enterprise_customer_uuid,
                )
            )
        elif not enrollment.is_active:
            enrollment.is_active = True
            enrollment.mode = row.mode
            enrollment.license_uuid = row.license_uuid or enrollment.license_uuid
            enrollment.enterprise_customer_uuid = row.enterprise_customer_uuid or enrollment.enterprise_customer_uuid
            enrollment.modified = now
            reactivated.append(enrollment)
    return to_create, reactivated


def pending_enrollments_sweep() -> int:
    """Realise every pending enrollment whose email now belongs to a learner; returns the enrollments written.

    Arrivals queue realisation themselves; this catches what they could not: a task lost with the
    broker or a worker, a learner who got the email without arriving since (an admin edit). An
    email held by several learners, or only by a deactivated one, stays pending (logged), as bulk
    enrollment refuses to guess; the learner's own arrival still realises it. A few queries per
    2,000 pending emails (keyset pages), each page realised in its own transaction.
    """
    written = 0
    after = ""
    while page := pending_emails_page(after=after, limit=CHUNK):
        after = page[-1]
        owner_ids: list[int] = []
        skipped = 0
        for rows in learners_by_email(emails=page).values():
            active = [row for row in rows if row.is_active]
            if len(rows) == 1 and active:
                owner_ids.append(active[0].pk)
            else:
                skipped += 1
        if skipped:
            log.info("pending_enrollments_sweep_skipped", extra={"emails": skipped})
        if owner_ids:
            written += len(pending_enrollments_realize_many(learners=User.objects.filter(pk__in=owner_ids)))
    log.info("pending_enrollments_swept", extra={"enrollments_written": written})
    return written


def pending_enrollments_realize_for_emails(*, emails: Iterable[str]) -> int:
    """Queue realisation for the learners who already have one of these (normalised) emails.

    Called after pending rows for these emails were committed. Returns how many learners were found.
    """
    found = learners_by_email(emails=emails)
    learner_ids = sorted({row.pk for rows in found.values() for row in rows})
    if learner_ids:
        log.info("pending_enrollments_learner_already_known", extra={"learners": len(learner_ids)})
        task_enqueue_on_commit(pending_enrollments_realize_task, learner_ids=learner_ids)
    return len(learner_ids)


def pending_enrollments_retire(*, email: str, retired_email: str) -> int:
    """Retirement: delete the pending enrollments waiting for ``email``; their history keeps ``retired_email``.

    A retired learner never arrives, so nothing is lost. Idempotent. Returns the rows deleted.
    """
    email = email.strip().lower()
    deleted = history_bulk_delete(PendingEnrollment.objects.filter(email=email))
    PendingEnrollment.history.filter(email=email).update(email=retired_email)  # type: ignore[attr-defined]
    return deleted


def enrollment_ingest(
    *,
    course_run_key: str,
    mode: str,
    is_active: bool = True,
    username: str | None = None,
    lms_user_id: int | None = None,
    email: str | None = None,
) -> tuple[Enrollment, bool]:
    """The enrollment ingest: the LMS reports a learner's enrollment in a run. Returns ``(enrollment, created)``.

    With a username the learner is found or created (``core.services.learner_get_or_create``); without
    one, an existing learner with that LMS user id (else email) must exist: a 400 otherwise. The run is
    created if the catalog does not know it yet.
    """
    if username:
        learner = learner_get_or_create(username=username, lms_user_id=lms_user_id, email=email)
    else:
        found = (
            learner_find(lms_user_id=lms_user_id)
            if lms_user_id
            else learner_find_by_email(email=email)
            if email
            else None
        )
        if found is None:
            raise ValidationError(
                {"non_field_errors": ["No learner with that lms_user_id or email; send the username."]}
            )
        learner = found
    run = course_run_ensure(key=course_run_key)
    enrollment, created = enrollment_upsert(learner=learner, course_run=run, mode=mode, is_active=is_active)
    enrollment.course_run = run  # the answer names the run: no second read of it
    return enrollment, created
