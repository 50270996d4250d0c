"""Reads behind the learner status APIs.

``learner_cert_status`` answers one request in at most five queries whatever the number of courses
asked about or credentials held: learner, credentials, grades, and (with ``include_incomplete``)
the requested runs and the learner's enrollments.
"""

from datetime import datetime
from uuid import UUID

from django.db.models import Q
from django.utils import timezone

from core.models import User
from core.selectors import learner_find
from credentials_status.data import (
    STATUS_RANK,
    GradeData,
    LearnerRunStatus,
    RunRef,
    StatusAnswer,
    StatusItem,
    StatusQuery,
)
from credentials_status.models import CourseRunCredential, Grade
from credentials_status.status import credential_is_visible, run_status
from enrollments.models import Enrollment
from programs.models import CourseRun


def _scope(query: StatusQuery, prefix: str = "") -> Q:
    """Rows of the requested courses and runs (``prefix`` points from the row to its run)."""
    condition = Q()
    if query.course_uuids:
        condition |= Q(**{f"{prefix}course__uuid__in": query.course_uuids})
    if query.course_run_uuids:
        condition |= Q(**{f"{prefix}uuid__in": query.course_run_uuids})
    if query.course_run_keys:
        condition |= Q(**{f"{prefix}key__in": query.course_run_keys})
    return condition


def learner_grades(learner: User, run_ids: set[int]) -> dict[int, GradeData]:
    """The learner's grade per run id, for the given runs, in one query."""
    if not run_ids:
        return {}
    return {
        grade.course_run_id: GradeData(grade.letter_grade, grade.percent_grade, grade.verified)
        for grade in Grade.objects.filter(learner=learner, course_run_id__in=run_ids)
    }


def learner_cert_status(query: StatusQuery, *, now: datetime | None = None) -> StatusAnswer:
    """The learner's visible awarded credentials in the requested courses and runs.

    An unknown learner gets an empty list with the given identifier echoed. With
    ``include_incomplete`` every requested course and run without a visible award adds one item
    carrying the learner's strongest status there (pending_availability, revoked, enrolled,
    not_enrolled; in that order).
    """
    now = now or timezone.now()
    learner = learner_find(username=query.username, lms_user_id=query.lms_user_id)
    if learner is None:
        return StatusAnswer(lms_user_id=query.lms_user_id, username=query.username)
    answer = StatusAnswer(lms_user_id=learner.lms_user_id, username=learner.username)

    credentials = list(
        CourseRunCredential.objects.filter(_scope(query, "course_run__"), learner=learner)
        .select_related("course_run__course")
        .order_by("course_run__course__key", "course_run__start", "course_run__key")
    )
    enrollments: list[Enrollment] = []
    requested_runs: list[CourseRun] = []
    if query.include_incomplete:
        enrollments = list(
            Enrollment.objects.filter(_scope(query, "course_run__"), learner=learner, is_active=True).select_related(
                "course_run__course"
            )
        )
        if query.course_run_uuids or query.course_run_keys:
            requested_runs = list(
                CourseRun.objects.filter(
                    Q(uuid__in=query.course_run_uuids) | Q(key__in=query.course_run_keys)
                ).select_related("course")
            )
    grades = learner_grades(learner, {c.course_run_id for c in credentials} | {e.course_run_id for e in enrollments})

    for credential in credentials:
        if credential_is_visible(credential, now):
            answer.status.append(_item(credential.course_run, LearnerRunStatus.AWARDED, credential, grades))
    if query.include_incomplete:
        answer.status.extend(_incomplete_items(query, credentials, enrollments, requested_runs, grades, now))
    return answer


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
        type=credential.type if credential else (enrollment.mode if enrollment else None),
        certificate_available_date=credential.certificate_available_date if credential else None,
        grade=grades.get(run.pk),
    )


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
