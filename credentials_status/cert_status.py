"""Reads behind learner_cert_status and bulk_learner_cert_status (wire-compatible with Credentials).

Requests are answered in chunks; each chunk costs at most five queries however many requests,
courses or credentials it holds: learners, credentials, grades, and (when any request of the chunk
sets ``include_incomplete``) enrollments and the requested runs. A chunk holds requests until they
name ``CHUNK_IDS`` course/run identifiers, so SQL ``IN`` lists stay small on every database.
"""

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import datetime
from uuid import UUID

from django.db.models import Q
from django.utils import timezone

from core.models import User
from credentials_status.data import (
    STATUS_RANK,
    GradeData,
    LearnerRunStatus,
    RunRef,
    StatusAnswer,
    StatusItem,
    StatusQuery,
)
from credentials_status.models import CertificateType, CourseRunCredential, Grade
from credentials_status.status import credential_is_visible, run_status
from enrollments.models import Enrollment
from programs.models import CourseRun

CHUNK_IDS = 2000


def learner_cert_status(query: StatusQuery, *, now: datetime | None = None) -> StatusAnswer:
    """The learner's visible awarded credentials in the requested courses and runs.

    An unknown learner gets an empty list with the given identifier echoed. With
    ``include_incomplete`` every requested course and run without a visible award adds one item
    carrying the learner's strongest status there (pending_availability, revoked, enrolled,
    not_enrolled; in that order).
    """
    return learner_cert_statuses([query], now=now)[0]


def learner_cert_statuses(queries: Sequence[StatusQuery], *, now: datetime | None = None) -> list[StatusAnswer]:
    """One answer per query, in order, with exactly the rules of ``selectors.learner_cert_status``."""
    now = now or timezone.now()
    answers: list[StatusAnswer] = []
    for chunk in _chunks(queries):
        answers.extend(_answer_chunk(chunk, now))
    return answers


def _size(query: StatusQuery) -> int:
    return len(query.course_uuids) + len(query.course_run_uuids) + len(query.course_run_keys)


def _chunks(queries: Sequence[StatusQuery]) -> Iterator[list[StatusQuery]]:
    chunk: list[StatusQuery] = []
    size = 0
    for query in queries:
        if chunk and size + _size(query) > CHUNK_IDS:
            yield chunk
            chunk, size = [], 0
        chunk.append(query)
        size += _size(query)
    if chunk:
        yield chunk


def _in_scope(run: CourseRun, query: StatusQuery) -> bool:
    return (
        run.course.uuid in query.course_uuids or run.uuid in query.course_run_uuids or run.key in query.course_run_keys
    )


def _answer_chunk(queries: list[StatusQuery], now: datetime) -> list[StatusAnswer]:
    names = {q.username for q in queries if q.username}
    ids = {q.lms_user_id for q in queries if q.lms_user_id is not None}
    learners = list(User.objects.filter(Q(username__in=names) | Q(lms_user_id__in=ids)))
    by_name = {u.username: u for u in learners}
    by_id = {u.lms_user_id: u for u in learners if u.lms_user_id is not None}

    def learner_of(query: StatusQuery) -> User | None:
        return by_id.get(query.lms_user_id) if query.lms_user_id is not None else by_name.get(query.username or "")

    course_uuids = {u for q in queries for u in q.course_uuids}
    run_uuids = {u for q in queries for u in q.course_run_uuids}
    run_keys = {k for q in queries for k in q.course_run_keys}
    scope = (
        Q(course_run__course__uuid__in=course_uuids)
        | Q(course_run__uuid__in=run_uuids)
        | Q(course_run__key__in=run_keys)
    )
    learner_ids = [u.pk for u in learners]
    credentials: dict[int, list[CourseRunCredential]] = defaultdict(list)
    enrollments: dict[int, list[Enrollment]] = defaultdict(list)
    requested_runs: list[CourseRun] = []
    if learner_ids:
        for credential in (
            CourseRunCredential.objects.filter(scope, learner_id__in=learner_ids)
            .select_related("course_run__course")
            .order_by("course_run__course__key", "course_run__start", "course_run__key")
        ):
            credentials[credential.learner_id].append(credential)
        if any(q.include_incomplete for q in queries):
            for enrollment in Enrollment.objects.filter(
                scope, learner_id__in=learner_ids, is_active=True
            ).select_related("course_run__course"):
                enrollments[enrollment.learner_id].append(enrollment)
    # Unknown learners need the requested runs too: their include_incomplete answer is the one a
    # learner without records gets, so it does not tell whether the learner exists.
    if (run_uuids or run_keys) and any(q.include_incomplete for q in queries):
        requested_runs = list(
            CourseRun.objects.filter(Q(uuid__in=run_uuids) | Q(key__in=run_keys)).select_related("course")
        )
    run_ids = {c.course_run_id for rows in credentials.values() for c in rows}
    run_ids |= {e.course_run_id for rows in enrollments.values() for e in rows}
    grades: dict[int, dict[int, GradeData]] = defaultdict(dict)
    if run_ids:
        for grade in Grade.objects.filter(learner_id__in=learner_ids, course_run_id__in=run_ids):
            grades[grade.learner_id][grade.course_run_id] = GradeData(
                grade.letter_grade, grade.percent_grade, grade.verified
            )

    answers = []
    for query in queries:
        learner = learner_of(query)
        if learner is None:
            answer = StatusAnswer(lms_user_id=query.lms_user_id, username=query.username)
            own: list[CourseRunCredential] = []
            own_enrollments: list[Enrollment] = []
            own_grades: dict[int, GradeData] = {}
        else:
            answer = StatusAnswer(lms_user_id=learner.lms_user_id, username=learner.username)
            own = [c for c in credentials[learner.pk] if _in_scope(c.course_run, query)]
            own_enrollments = [e for e in enrollments[learner.pk] if _in_scope(e.course_run, query)]
            own_grades = grades[learner.pk]
        answer.status = [
            _item(c.course_run, LearnerRunStatus.AWARDED, c, own_grades) for c in own if credential_is_visible(c, now)
        ]
        if query.include_incomplete:
            asked_runs = [
                r for r in requested_runs if r.uuid in query.course_run_uuids or r.key in query.course_run_keys
            ]
            answer.status.extend(_incomplete_items(query, own, own_enrollments, asked_runs, own_grades, now))
        answers.append(answer)
    return answers


def _item(
    run: CourseRun,
    status: LearnerRunStatus,
    credential: CourseRunCredential | None,
    grades: dict[int, GradeData],
    enrollment: Enrollment | None = None,
) -> StatusItem:
    return StatusItem(
        course_uuid=run.course.uuid,
        course_run=RunRef(uuid=run.uuid, key=run.key),
        status=status,
        type=credential.type if credential else _certificate_type_of(enrollment),
        certificate_available_date=credential.certificate_available_date if credential else None,
        grade=grades.get(run.pk),
    )


def _certificate_type_of(enrollment: Enrollment | None) -> str | None:
    """The certificate type an enrollment's mode leads to; None for modes without one (``credit``, ...)."""
    if enrollment is None or enrollment.mode not in CertificateType.values:
        return None
    return enrollment.mode


def _incomplete_items(
    query: StatusQuery,
    credentials: list[CourseRunCredential],
    enrollments: list[Enrollment],
    requested_runs: list[CourseRun],
    grades: dict[int, GradeData],
    now: datetime,
) -> list[StatusItem]:
    credential_by_run = {c.course_run_id: c for c in credentials}
    enrollment_by_run = {e.course_run_id: e for e in enrollments}
    runs = {c.course_run_id: c.course_run for c in credentials} | {e.course_run_id: e.course_run for e in enrollments}
    runs |= {run.pk: run for run in requested_runs}
    statuses = {
        run_id: run_status(credential_by_run.get(run_id), enrollment_by_run.get(run_id), now) for run_id in runs
    }

    def item_for(run_id: int) -> StatusItem:
        return _item(
            runs[run_id], statuses[run_id], credential_by_run.get(run_id), grades, enrollment_by_run.get(run_id)
        )

    items: list[StatusItem] = []
    for course_uuid in query.course_uuids:
        course_runs = [run_id for run_id, run in runs.items() if run.course.uuid == course_uuid]
        if any(statuses[run_id] == LearnerRunStatus.AWARDED for run_id in course_runs):
            continue
        touched = [run_id for run_id in course_runs if statuses[run_id] != LearnerRunStatus.NOT_ENROLLED]
        if touched:
            items.append(item_for(min(touched, key=lambda run_id: STATUS_RANK[statuses[run_id]])))
        else:
            items.append(StatusItem(course_uuid=course_uuid, course_run=None, status=LearnerRunStatus.NOT_ENROLLED))

    by_uuid = {run.uuid: run.pk for run in requested_runs}
    by_key = {run.key: run.pk for run in requested_runs}
    asked: list[tuple[int | None, UUID | None, str | None]] = [
        (by_uuid.get(u), u, None) for u in query.course_run_uuids
    ]
    asked += [(by_key.get(k), None, k) for k in query.course_run_keys]
    for run_id, run_uuid, run_key in asked:
        if run_id is None:
            items.append(
                StatusItem(
                    course_uuid=None,
                    course_run=RunRef(uuid=run_uuid, key=run_key),
                    status=LearnerRunStatus.NOT_ENROLLED,
                )
            )
        elif statuses[run_id] != LearnerRunStatus.AWARDED:
            items.append(item_for(run_id))

    unique: list[StatusItem] = []
    for item in items:
        if item not in unique:
            unique.append(item)
    return unique
