"""Reads behind learner_cert_status and bulk_learner_cert_status (wire-compatible with Credentials).

Requests are answered in chunks; each chunk costs at most five queries however many requests,
courses or credentials it holds: learners, credentials, grades, and (when any request of the chunk
sets ``include_incomplete``) enrollments and the requested runs. A chunk holds requests until they
name ``CHUNK_IDS`` course/run identifiers, so SQL ``IN`` lists stay small on every database.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, NamedTuple, TypeVar
from uuid import UUID

from django.utils import timezone

from core.db import Table, any_in, columns_read, in_list
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
from enrollments.api import active_enrollments_in
from programs.api import course_runs_read

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
    """One answer per query, in order, with exactly the rules of ``learner_cert_status``."""
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


class _Run(NamedTuple):
    pk: int
    uuid: UUID
    key: str
    course_uuid: UUID


class _Credential(NamedTuple):
    """The fields of a credential the answer reads (``status.CredentialLike``), with its run."""

    run: _Run
    status: str
    type: str
    certificate_available_date: datetime | None


class _Enrollment(NamedTuple):
    """The fields of an active enrollment the answer reads (``status.EnrollmentLike``), with its run."""

    run: _Run
    mode: str
    is_active: bool


Record = TypeVar("Record", "_Credential", "_Enrollment")


class _RunIndex:
    """Where each course uuid, run uuid and run key appears in a list of a learner's records.

    A bulk request asks about the same learner many times: each query then costs what it names,
    not one pass over every record the learner holds (issue 17).
    """

    def __init__(self, runs: Iterable[_Run]) -> None:
        self.by_course: dict[UUID, list[int]] = defaultdict(list)
        self.by_uuid: dict[UUID, list[int]] = defaultdict(list)
        self.by_key: dict[str, list[int]] = defaultdict(list)
        for position, run in enumerate(runs):
            self.by_course[run.course_uuid].append(position)
            self.by_uuid[run.uuid].append(position)
            self.by_key[run.key].append(position)

    def positions(self, query: StatusQuery) -> list[int]:
        """The positions of the records in the query's courses and runs, in their original order."""
        found: set[int] = set()
        for course_uuid in query.course_uuids:
            found.update(self.by_course.get(course_uuid, ()))
        for run_uuid in query.course_run_uuids:
            found.update(self.by_uuid.get(run_uuid, ()))
        for run_key in query.course_run_keys:
            found.update(self.by_key.get(run_key, ()))
        return sorted(found)


class _LearnerRecords(Generic[Record]):
    """One learner's credentials or enrollments, selectable by the courses and runs a query names."""

    def __init__(self) -> None:
        self.rows: list[Record] = []
        self._index: _RunIndex | None = None

    def append(self, row: Record) -> None:
        self.rows.append(row)
        self._index = None

    def asked_by(self, query: StatusQuery) -> list[Record]:
        if self._index is None:
            self._index = _RunIndex(row.run for row in self.rows)
        return [self.rows[position] for position in self._index.positions(query)]


class _Learner(NamedTuple):
    pk: int
    username: str
    lms_user_id: int | None


@dataclass
class _ChunkRecords:
    """The records a chunk's queries are answered from, by learner pk (and the runs asked for by id)."""

    credentials: defaultdict[int, _LearnerRecords[_Credential]] = field(
        default_factory=lambda: defaultdict(_LearnerRecords[_Credential])
    )
    enrollments: defaultdict[int, _LearnerRecords[_Enrollment]] = field(
        default_factory=lambda: defaultdict(_LearnerRecords[_Enrollment])
    )
    grades: defaultdict[int, dict[int, GradeData]] = field(default_factory=lambda: defaultdict(dict))
    requested_by_uuid: dict[UUID, _Run] = field(default_factory=dict)
    requested_by_key: dict[str, _Run] = field(default_factory=dict)


def _answer_chunk(queries: list[StatusQuery], now: datetime) -> list[StatusAnswer]:
    learners = _learners_read(queries)
    by_name = {learner.username: learner for learner in learners}
    by_id = {learner.lms_user_id: learner for learner in learners if learner.lms_user_id is not None}
    records = _records_read(queries, [learner.pk for learner in learners])
    return [_answer(query, _learner_of(query, by_name, by_id), records, now) for query in queries]


def _learner_of(query: StatusQuery, by_name: dict[str, _Learner], by_id: dict[int, _Learner]) -> _Learner | None:
    return by_id.get(query.lms_user_id) if query.lms_user_id is not None else by_name.get(query.username or "")


def _learners_read(queries: list[StatusQuery]) -> list[_Learner]:
    names = {q.username for q in queries if q.username}
    ids = {q.lms_user_id for q in queries if q.lms_user_id is not None}
    wanted, params = any_in([(_USERS.column("username"), names, None), (_USERS.column("lms_user_id"), ids, None)])
    if not wanted:
        return []
    columns = ("id", "username", "lms_user_id")
    sql = f"SELECT {_USERS.select(*columns)} FROM {_USERS.table} WHERE {wanted}"  # noqa: S608
    return [_Learner(*row) for row in columns_read(sql, params, _USERS.fields(*columns))]


def _records_read(queries: list[StatusQuery], learner_ids: list[int]) -> _ChunkRecords:
    """The learners' credentials (and active enrollments and the asked runs, for ``include_incomplete``)
    in the chunk's courses and runs, and their grades in those runs: at most four statements."""
    run_uuids = {u for q in queries for u in q.course_run_uuids}
    run_keys = {k for q in queries for k in q.course_run_keys}
    course_uuids = {u for q in queries for u in q.course_uuids}
    incomplete_asked = any(q.include_incomplete for q in queries)
    records = _ChunkRecords()
    if learner_ids:
        for learner_id, run_id, run_uuid, run_key, course_uuid, *fields in _credential_rows(
            learner_ids, course_uuids, run_uuids, run_keys
        ):
            records.credentials[learner_id].append(_Credential(_Run(run_id, run_uuid, run_key, course_uuid), *fields))
        if incomplete_asked:
            for row in active_enrollments_in(
                learner_ids=learner_ids,
                course_uuids=course_uuids,
                course_run_uuids=run_uuids,
                course_run_keys=run_keys,
            ):
                run = _Run(row.course_run_id, row.course_run_uuid, row.course_run_key, row.course_uuid)
                records.enrollments[row.learner_id].append(_Enrollment(run, row.mode, row.is_active))
    # Unknown learners need the requested runs too: their include_incomplete answer is the one a
    # learner without records gets, so it does not tell whether the learner exists.
    if (run_uuids or run_keys) and incomplete_asked:
        for found in course_runs_read(uuids=run_uuids, keys=run_keys):
            run = _Run(found.id, found.uuid, found.key, found.course_uuid)
            records.requested_by_uuid[run.uuid] = records.requested_by_key[run.key] = run
    run_ids = {c.run.pk for learner_records in records.credentials.values() for c in learner_records.rows}
    run_ids |= {e.run.pk for learner_records in records.enrollments.values() for e in learner_records.rows}
    if run_ids:
        learners_sql, learner_params = in_list(_GRADES.column("learner"), learner_ids)
        runs_sql, run_params = in_list(_GRADES.column("course_run"), run_ids)
        names = ("learner", "course_run", "letter_grade", "percent_grade", "verified")
        sql = f"SELECT {_GRADES.select(*names)} FROM {_GRADES.table} WHERE {learners_sql} AND {runs_sql}"  # noqa: S608
        for learner_id, run_id, letter, percent, verified in columns_read(
            sql, learner_params + run_params, _GRADES.fields(*names)
        ):
            records.grades[learner_id][run_id] = GradeData(letter, percent, verified)
    return records


# The chunk's reads are hand-written statements (core.db.columns_read): building the ORM's joined filter
# of OR-ed IN lists took twenty times longer than the database took to run it (issue 17). They select
# the columns the answer needs only: no model instances on this hot path. Only identifiers from the
# models' metadata (quoted) are put into the text; every value is a parameter (hence the S608 waivers).


# The members and choices read for every item, bound once: a member read off its enum class is a Python lookup
# (``credentials_status.status``'s note), and ``CertificateType.values`` builds a new list at each read.
_AWARDED = LearnerRunStatus.AWARDED
_NOT_ENROLLED = LearnerRunStatus.NOT_ENROLLED
_CERTIFICATE_TYPES = frozenset(CertificateType.values)

# The tables of a status answer; the catalog's reached through the credential's foreign keys (no other
# app's models imported).
_USERS = Table(User._meta)
_CREDENTIALS = Table(CourseRunCredential._meta)
_GRADES = Table(Grade._meta)
_RUNS = Table(_CREDENTIALS.field("course_run").related_model._meta)  # type: ignore[union-attr]
_COURSES = Table(_RUNS.field("course").related_model._meta)  # type: ignore[union-attr]


def _credential_rows(
    learner_ids: list[int], course_uuids: set[UUID], run_uuids: set[UUID], run_keys: set[str]
) -> list[tuple[Any, ...]]:
    """``(learner id, run id, run uuid, run key, course uuid, status, type, certificate_available_date)``
    of the learners' credentials in these courses and runs, by course key, run start and run key."""
    scope, params = any_in(
        [
            (_COURSES.column("uuid"), course_uuids, _COURSES.field("uuid")),
            (_RUNS.column("uuid"), run_uuids, _RUNS.field("uuid")),
            (_RUNS.column("key"), run_keys, None),
        ]
    )
    if not scope:
        return []
    learners_sql, learner_params = in_list(_CREDENTIALS.column("learner"), learner_ids)
    columns = [
        (_CREDENTIALS, "learner"),
        (_CREDENTIALS, "course_run"),
        (_RUNS, "uuid"),
        (_RUNS, "key"),
        (_COURSES, "uuid"),
        (_CREDENTIALS, "status"),
        (_CREDENTIALS, "type"),
        (_CREDENTIALS, "certificate_available_date"),
    ]
    sql = (
        f"SELECT {', '.join(table.column(name) for table, name in columns)} FROM {_CREDENTIALS.table}"  # noqa: S608
        f" INNER JOIN {_RUNS.table} ON {_CREDENTIALS.column('course_run')} = {_RUNS.column('id')}"
        f" INNER JOIN {_COURSES.table} ON {_RUNS.column('course')} = {_COURSES.column('id')}"
        f" WHERE {learners_sql} AND {scope}"
        f" ORDER BY {_COURSES.column('key')} ASC, {_RUNS.column('start')} ASC, {_RUNS.column('key')} ASC"
    )
    return columns_read(sql, learner_params + params, [table.field(name) for table, name in columns])


def _answer(query: StatusQuery, learner: _Learner | None, records: _ChunkRecords, now: datetime) -> StatusAnswer:
    if learner is None:
        answer = StatusAnswer(lms_user_id=query.lms_user_id, username=query.username)
        own: list[_Credential] = []
        own_enrollments: list[_Enrollment] = []
        own_grades: dict[int, GradeData] = {}
    else:
        answer = StatusAnswer(lms_user_id=learner.lms_user_id, username=learner.username)
        own = records.credentials[learner.pk].asked_by(query)
        own_enrollments = records.enrollments[learner.pk].asked_by(query)
        own_grades = records.grades[learner.pk]
    answer.status = [_item(c.run, _AWARDED, c, own_grades) for c in own if credential_is_visible(c, now)]
    if query.include_incomplete:
        answer.status.extend(_incomplete_items(query, own, own_enrollments, records, own_grades, now))
    return answer


def _item(
    run: _Run,
    status: LearnerRunStatus,
    credential: _Credential | None,
    grades: dict[int, GradeData],
    enrollment: _Enrollment | None = None,
) -> StatusItem:
    return StatusItem(
        course_uuid=run.course_uuid,
        course_run=RunRef(uuid=run.uuid, key=run.key),
        status=status,
        type=credential.type if credential else _certificate_type_of(enrollment),
        certificate_available_date=credential.certificate_available_date if credential else None,
        grade=grades.get(run.pk),
    )


def _certificate_type_of(enrollment: _Enrollment | None) -> str | None:
    """The certificate type an enrollment's mode leads to; None for modes without one (``credit``, ...)."""
    if enrollment is None or enrollment.mode not in _CERTIFICATE_TYPES:
        return None
    return enrollment.mode


def _incomplete_items(
    query: StatusQuery,
    credentials: list[_Credential],
    enrollments: list[_Enrollment],
    records: _ChunkRecords,
    grades: dict[int, GradeData],
    now: datetime,
) -> list[StatusItem]:
    # The runs the query names by uuid or key: the known ones (``None`` for a run unknown here).
    asked: list[tuple[_Run | None, UUID | None, str | None]] = [
        (records.requested_by_uuid.get(u), u, None) for u in query.course_run_uuids
    ]
    asked += [(records.requested_by_key.get(k), None, k) for k in query.course_run_keys]
    credential_by_run = {c.run.pk: c for c in credentials}
    enrollment_by_run = {e.run.pk: e for e in enrollments}
    runs = {c.run.pk: c.run for c in credentials} | {e.run.pk: e.run for e in enrollments}
    runs |= {run.pk: run for run, _, _ in asked if run is not None}
    statuses = {
        run_id: run_status(credential_by_run.get(run_id), enrollment_by_run.get(run_id), now) for run_id in runs
    }

    def item_for(run_id: int) -> StatusItem:
        return _item(
            runs[run_id], statuses[run_id], credential_by_run.get(run_id), grades, enrollment_by_run.get(run_id)
        )

    items: list[StatusItem] = []
    for course_uuid in query.course_uuids:
        course_runs = [run_id for run_id, run in runs.items() if run.course_uuid == course_uuid]
        if any(statuses[run_id] == _AWARDED for run_id in course_runs):
            continue
        touched = [run_id for run_id in course_runs if statuses[run_id] != _NOT_ENROLLED]
        if touched:
            items.append(item_for(min(touched, key=lambda run_id: STATUS_RANK[statuses[run_id]])))
        else:
            items.append(StatusItem(course_uuid=course_uuid, course_run=None, status=_NOT_ENROLLED))

    for run, run_uuid, run_key in asked:
        if run is None:
            items.append(
                StatusItem(
                    course_uuid=None,
                    course_run=RunRef(uuid=run_uuid, key=run_key),
                    status=_NOT_ENROLLED,
                )
            )
        elif statuses[run.pk] != _AWARDED:
            items.append(item_for(run.pk))

    return list(dict.fromkeys(items))  # once each, in order
