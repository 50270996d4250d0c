"""Reads of enrollments: bulk enrollment's batches (a few queries per chunk of learners or runs), and
what other apps read of enrollments through ``enrollments.api`` (plain values, no model instances)."""

import hashlib
from collections.abc import Collection, Iterable
from dataclasses import asdict
from datetime import datetime
from typing import NamedTuple
from uuid import UUID

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q, Value
from django.db.models.functions import Lower, Upper

from core.db import Table, chunked, columns_read
from core.models import User
from core.records import RecordRow, learner_columns_read, learner_history_rows, learner_record_rows
from enrollments.lms import LmsAccountProfile, LmsClient, missing_settings
from enrollments.models import Enrollment, PendingEnrollment
from programs.api import course_runs_read

# Bounded IN lists: SQLite and Oracle-style limits on bound parameters, and plans stay simple.
CHUNK = 2000


class LearnerRow(NamedTuple):
    pk: int
    username: str
    email: str
    lms_user_id: int | None
    is_active: bool


class RunRow(NamedTuple):
    pk: int
    key: str
    title: str
    removed: bool = False
    end: datetime | None = None


class EnrollmentRow(NamedTuple):
    pk: int
    is_active: bool
    license_uuid: UUID | None
    enterprise_customer_uuid: UUID | None = None


_LEARNER_FIELDS = ("pk", "username", "email_lower", "lms_user_id", "is_active")


def learners_by_email(*, emails: Iterable[str]) -> dict[str, list[LearnerRow]]:
    """Learners whose email, compared case-insensitively, is one of ``emails`` (lower-cased).

    A list per email: the user table does not make emails unique, and callers must refuse to guess.
    """
    found: dict[str, list[LearnerRow]] = {}
    for batch in chunked(sorted(set(emails)), CHUNK):
        # UPPER(email) IN (UPPER(...), ...) is served by core_user_email_upper_idx (a million learners: a
        # sequential scan of core_user otherwise); LOWER(email) IN (...) then keeps the exact rule.
        rows = (
            User.objects.annotate(email_lower=Lower("email"), email_upper=Upper("email"))
            .filter(email_upper__in=[Upper(Value(email)) for email in batch], email_lower__in=batch)
            .values_list(*_LEARNER_FIELDS)
        )
        for row in rows:
            learner = LearnerRow(*row)
            found.setdefault(learner.email, []).append(learner)
    return found


def learners_by_lms_user_id(*, lms_user_ids: Iterable[int]) -> dict[int, LearnerRow]:
    found: dict[int, LearnerRow] = {}
    for batch in chunked(sorted(set(lms_user_ids)), CHUNK):
        rows = (
            User.objects.annotate(email_lower=Lower("email"))
            .filter(lms_user_id__in=batch)
            .values_list(*_LEARNER_FIELDS)
        )
        for row in rows:
            learner = LearnerRow(*row)
            found[learner.lms_user_id] = learner  # type: ignore[index]
    return found


def course_runs_by_key(*, keys: Iterable[str]) -> dict[str, RunRow]:
    return {
        run.key: RunRow(run.id, run.key, run.title, run.removed_at is not None, run.end)
        for run in course_runs_read(keys=keys)
    }


def enrollments_by_pair(*, learner_ids: Iterable[int], run_ids: Iterable[int]) -> dict[tuple[int, int], EnrollmentRow]:
    """Existing enrollments of these learners in these runs, keyed by ``(learner_id, course_run_id)``."""
    run_list = sorted(set(run_ids))
    found: dict[tuple[int, int], EnrollmentRow] = {}
    if not run_list:
        return found
    for batch in chunked(sorted(set(learner_ids)), CHUNK // 2):
        for pk, learner_id, run_id, is_active, license_uuid, customer_uuid in Enrollment.objects.filter(
            learner_id__in=batch, course_run_id__in=run_list
        ).values_list("pk", "learner_id", "course_run_id", "is_active", "license_uuid", "enterprise_customer_uuid"):
            found[(learner_id, run_id)] = EnrollmentRow(pk, is_active, license_uuid, customer_uuid)
    return found


def pending_pairs(*, emails: Iterable[str], run_ids: Iterable[int]) -> set[tuple[str, int]]:
    """Existing pending enrollments among these emails and runs, as ``(email, course_run_id)``."""
    run_list = sorted(set(run_ids))
    found: set[tuple[str, int]] = set()
    if not run_list:
        return found
    for batch in chunked(sorted(set(emails)), CHUNK // 2):
        found.update(
            PendingEnrollment.objects.filter(email__in=batch, course_run_id__in=run_list).values_list(
                "email", "course_run_id"
            )
        )
    return found


_PENDING = Table(PendingEnrollment._meta)


def pending_emails(*, emails: Iterable[str]) -> set[str]:
    """Which of these (normalised) emails have pending enrollments.

    One email -- a learner's request -- costs one ``EXISTS`` on the email index; more cost one query
    per chunk. This runs on every arrival, so it reads nothing else.
    """
    wanted = sorted(set(emails))
    if len(wanted) == 1:
        # Hand-written (core.db.columns_read): the ORM took longer to build this EXISTS than to run it.
        sql = f"SELECT 1 FROM {_PENDING.table} WHERE {_PENDING.column('email')} = %s LIMIT 1"  # noqa: S608
        return set(wanted) if columns_read(sql, wanted, [None]) else set()
    found: set[str] = set()
    for batch in chunked(wanted, CHUNK):
        found.update(PendingEnrollment.objects.filter(email__in=batch).values_list("email", flat=True).distinct())
    return found


def pending_emails_page(*, after: str, limit: int) -> list[str]:
    """Distinct emails of pending enrollments greater than ``after``, in order, at most ``limit``: a keyset page."""
    return list(
        PendingEnrollment.objects.filter(email__gt=after)
        .order_by("email")
        .values_list("email", flat=True)
        .distinct()[:limit]
    )


def lms_account_profile(*, username: str) -> LmsAccountProfile | None:
    """The learner's LMS full name, country and mailing address, or ``None`` when the LMS is not configured.

    Read through the LMS client and cached for ``LMS_ACCOUNT_CACHE_SECONDS`` (a bounded age: a learner's
    change in the LMS shows after at most that long). A user the LMS does not know gives an empty
    profile. Raises ``enrollments.exceptions.UpstreamError`` when the LMS cannot answer.
    """
    if missing_settings():
        return None
    key = f"lms_account_profile:{hashlib.sha256(username.encode('utf-8')).hexdigest()}"
    cached = cache.get(key) if settings.LMS_ACCOUNT_CACHE_SECONDS else None
    if isinstance(cached, dict):
        return LmsAccountProfile(**cached)
    profile = LmsClient.from_settings().account_profile(username) or LmsAccountProfile("", "", "")
    if settings.LMS_ACCOUNT_CACHE_SECONDS:
        cache.set(key, asdict(profile), timeout=settings.LMS_ACCOUNT_CACHE_SECONDS)
    return profile


def learner_enrollment_in_run(*, learner_id: int, course_run_key: str) -> tuple[str, bool] | None:
    """``(mode, is_active)`` of the learner's enrollment in this run as this service knows it; ``None`` when unknown."""
    row = (
        Enrollment.objects.filter(learner_id=learner_id, course_run__key=course_run_key)
        .values_list("mode", "is_active")
        .first()
    )
    return (row[0], row[1]) if row else None


# --- Reads for other apps (through enrollments.api): plain values --------------------------------


class ActiveEnrollment(NamedTuple):
    """An active enrollment with its run's identifiers, as a status answer reads it."""

    learner_id: int
    course_run_id: int
    course_run_uuid: UUID
    course_run_key: str
    course_uuid: UUID
    mode: str
    is_active: bool


def active_enrollments_in(
    *,
    learner_ids: Collection[int],
    course_uuids: Collection[UUID] = (),
    course_run_uuids: Collection[UUID] = (),
    course_run_keys: Collection[str] = (),
) -> list[ActiveEnrollment]:
    """The learners' active enrollments in these courses and runs: one query (callers bound the lists)."""
    scope = (
        Q(course_run__course__uuid__in=list(course_uuids))
        | Q(course_run__uuid__in=list(course_run_uuids))
        | Q(course_run__key__in=list(course_run_keys))
    )
    rows = Enrollment.objects.filter(scope, learner_id__in=list(learner_ids), is_active=True).values_list(
        "learner_id",
        "course_run_id",
        "course_run__uuid",
        "course_run__key",
        "course_run__course__uuid",
        "mode",
        "is_active",
    )
    return [ActiveEnrollment(*row) for row in rows]


def learner_enrollment_states(*, learner_id: int) -> list[tuple[int, str, bool]]:
    """``(run id, mode, is_active)`` of each of the learner's enrollments: one statement, hand-written
    (``core.records.learner_columns_read``) for the program status's hot path (issue 17); the caller keys
    them by run."""
    return learner_columns_read(Enrollment, ("course_run", "mode", "is_active"), learner_id=learner_id)


def enrollments_of(*, usernames: Collection[str], course_run_keys: Collection[str]) -> list[tuple[str, str, str, bool]]:
    """``(username, run key, mode, is_active)`` of every enrollment of these learners or in these runs."""
    rows = Enrollment.objects.filter(
        Q(learner__username__in=list(usernames)) | Q(course_run__key__in=list(course_run_keys))
    ).values_list("learner__username", "course_run__key", "mode", "is_active")
    return list(rows)


def learner_enrollment_records(*, learner_id: int) -> list[RecordRow]:
    """The learner's enrollments with their provenance (the support console): one query."""
    return learner_record_rows(Enrollment, learner_id=learner_id, fields=("mode", "is_active"))


def learner_enrollment_history(*, learner_id: int, limit: int) -> list[RecordRow]:
    """The learner's first ``limit`` enrollment history rows, oldest first: one query."""
    return learner_history_rows(Enrollment, learner_id=learner_id, fields=("mode", "is_active"), limit=limit)
