"""Events the LMS and Studio produce on a real Redis bus, consumed by the real ``consume_events`` command.

Each test has a topic of its own; what the consumer did is read through the service's own answers:
learner_cert_status, learner_program_status and credit eligibility.
"""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid1

import pytest
from openedx_events.content_authoring.signals import COURSE_CATALOG_INFO_CHANGED
from openedx_events.data import EventsMetadata
from openedx_events.learning.signals import (
    CERTIFICATE_CHANGED,
    CERTIFICATE_CREATED,
    CERTIFICATE_REVOKED,
    COURSE_ENROLLMENT_CHANGED,
    COURSE_ENROLLMENT_CREATED,
    PERSISTENT_GRADE_SUMMARY_CHANGED,
)
from rest_framework import status

from core.models import User
from credentials_status.models import CourseRunCredential, Grade
from credit import api as credit_api
from enrollments.models import Enrollment, PendingEnrollment
from events.models import AppliedEvent
from programs.models import CourseRun, Program, ProgramCourse
from tests.credit.conftest import COURSE_KEY, TWO_REQUIREMENTS
from tests.credit.factories import CreditCourseFactory
from tests.events.lms import (
    catalog_data,
    certificate_data,
    consume_until_caught_up,
    enrollment_data,
    grade_data,
    user_data,
)
from tests.factories import CourseRunFactory

pytestmark = [pytest.mark.redis, pytest.mark.django_db]

RUN = "course-v1:edX+DemoX+1T2024"
ANA = {"lms_user_id": 3001, "username": "ana"}
T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def run(db: None) -> CourseRun:
    return CourseRunFactory(key=RUN, course__key="edX+DemoX", course__organization__key="edX")


@pytest.fixture
def support(jwt_client: Any) -> Any:
    return jwt_client("support", roles=["learner_status_readers"])


def cert_status(support: Any, username: str = "ana", run_key: str = RUN) -> list[dict[str, Any]]:
    response = support.post(
        "/api/credentials/v1/learner_cert_status/",
        {"username": username, "course_runs": [run_key], "include_incomplete": True},
        format="json",
    )
    assert response.status_code == status.HTTP_200_OK, response.json()
    return response.json()["status"]


def test_a_certificate_created_on_the_lms_is_awarded_here(lms: Any, run: CourseRun, support: Any) -> None:
    ana = user_data(**ANA, email="Ana@Example.com")
    lms.send(CERTIFICATE_CREATED, certificate=certificate_data(ana, RUN, mode="verified"), at=T0)
    consume_until_caught_up(lms, "cs-a")

    [item] = cert_status(support)
    assert item["status"] == "awarded" and item["type"] == "verified"
    learner = User.objects.get(username="ana")
    assert (learner.lms_user_id, learner.email) == (3001, "ana@example.com")
    credential = CourseRunCredential.objects.get()
    assert (credential.source, credential.source_time) == ("event", T0)
    [history] = credential.history.all()  # type: ignore[attr-defined]
    assert history.history_source.startswith(f"event {CERTIFICATE_CREATED.event_type} ")


def test_the_program_counts_a_course_completed_through_events(lms: Any, run: CourseRun, support: Any) -> None:
    program = Program.objects.create(title="Demo program", applicable_seat_types=["verified"])
    ProgramCourse.objects.create(program=program, course=run.course)
    ana = user_data(**ANA)
    lms.send(COURSE_ENROLLMENT_CREATED, enrollment=enrollment_data(ana, RUN), at=T0)
    lms.send(CERTIFICATE_CREATED, certificate=certificate_data(ana, RUN), at=T0 + timedelta(days=30))
    consume_until_caught_up(lms, "cs-b")

    response = support.post(
        "/api/credentials/v1/learner_program_status/",
        {"username": "ana", "program_uuid": str(program.uuid)},
        format="json",
    )
    assert response.status_code == status.HTTP_200_OK
    body = response.json()
    assert body["is_complete"] is True and body["completed_courses"] == 1


def test_a_replayed_stream_changes_nothing(lms: Any, run: CourseRun, support: Any) -> None:
    ana = user_data(**ANA)
    sent = [
        lms.send(COURSE_ENROLLMENT_CREATED, enrollment=enrollment_data(ana, RUN), at=T0),
        lms.send(CERTIFICATE_CREATED, certificate=certificate_data(ana, RUN), at=T0 + timedelta(minutes=1)),
    ]
    consume_until_caught_up(lms, "cs-c")
    credential = CourseRunCredential.objects.get()
    before = (credential.modified, Enrollment.objects.get().modified, AppliedEvent.objects.count())

    # The bus redelivers both (same metadata ids), as after a consumer crash before its acknowledgement.
    for metadata in sent:
        lms.send(
            CERTIFICATE_CREATED if "certificate" in metadata.event_type else COURSE_ENROLLMENT_CREATED,
            at=metadata.time,
            event_id=metadata.id,
            **(
                {"certificate": certificate_data(ana, RUN)}
                if "certificate" in metadata.event_type
                else {"enrollment": enrollment_data(ana, RUN)}
            ),
        )
    consume_until_caught_up(lms, "cs-c")

    credential.refresh_from_db()
    assert (credential.modified, Enrollment.objects.get().modified, AppliedEvent.objects.count()) == before
    assert cert_status(support)[0]["status"] == "awarded"


def test_a_late_older_created_does_not_undo_a_revocation(lms: Any, run: CourseRun, support: Any) -> None:
    ana = user_data(**ANA)
    # Revoked at 10:05 arrives first; the award sent at 10:00 is delivered late.
    lms.send(CERTIFICATE_REVOKED, certificate=certificate_data(ana, RUN, status="notpassing"), at=T0)
    lms.send(CERTIFICATE_CREATED, certificate=certificate_data(ana, RUN), at=T0 - timedelta(minutes=10))
    lms.send(CERTIFICATE_REVOKED, certificate=certificate_data(ana, RUN, status="notpassing"), at=T0)
    consume_until_caught_up(lms, "cs-d")
    # The first revocation found no credential to revoke; the award made one; the revocation at 10:05 wins.
    assert cert_status(support)[0]["status"] == "revoked"

    lms.send(CERTIFICATE_CREATED, certificate=certificate_data(ana, RUN), at=T0 - timedelta(minutes=1))
    consume_until_caught_up(lms, "cs-d")
    assert cert_status(support)[0]["status"] == "revoked"
    credential = CourseRunCredential.objects.get()
    assert credential.source_time == T0 and credential.status == "revoked"

    lms.send(CERTIFICATE_CHANGED, certificate=certificate_data(ana, RUN), at=T0 + timedelta(minutes=1))
    consume_until_caught_up(lms, "cs-d")
    assert cert_status(support)[0]["status"] == "awarded"


def test_an_older_enrollment_change_does_not_overwrite_a_newer_one(lms: Any, run: CourseRun) -> None:
    ana = user_data(**ANA)
    lms.send(COURSE_ENROLLMENT_CHANGED, enrollment=enrollment_data(ana, RUN, is_active=False), at=T0)
    lms.send(COURSE_ENROLLMENT_CREATED, enrollment=enrollment_data(ana, RUN, mode="audit"), at=T0 - timedelta(hours=1))
    consume_until_caught_up(lms, "cs-e")
    enrollment = Enrollment.objects.get()
    assert (enrollment.is_active, enrollment.mode, enrollment.source_time) == (False, "verified", T0)
    assert set(AppliedEvent.objects.values_list("outcome", flat=True)) == {"applied", "stale"}


def test_an_enrollment_event_realises_the_learners_pending_enrollments(lms: Any, run: CourseRun) -> None:
    other = CourseRunFactory(key="course-v1:edX+StatsX+1T2024", course__organization__key="edX")
    PendingEnrollment.objects.create(email="ana@example.com", course_run=other, mode="verified")
    lms.send(COURSE_ENROLLMENT_CREATED, enrollment=enrollment_data(user_data(**ANA), RUN), at=T0)
    consume_until_caught_up(lms, "cs-f")
    assert set(Enrollment.objects.values_list("course_run__key", flat=True)) == {RUN, other.key}
    assert not PendingEnrollment.objects.exists()


def test_a_passing_grade_makes_the_learner_eligible_for_credit(lms: Any) -> None:
    CourseRunFactory(key=COURSE_KEY, course__key="edX+DemoX", course__organization__key="edX")
    CreditCourseFactory(course_key=COURSE_KEY, enabled=True)
    credit_api.set_credit_requirements(COURSE_KEY, TWO_REQUIREMENTS)
    learner = User.objects.create(username="ana", lms_user_id=3001)
    exam = TWO_REQUIREMENTS[0]
    credit_api.set_credit_requirement_status(learner, COURSE_KEY, exam["namespace"], exam["name"])
    lms.send(PERSISTENT_GRADE_SUMMARY_CHANGED, grade=grade_data(3001, COURSE_KEY, percent=0.72, passed=True), at=T0)
    consume_until_caught_up(lms, "cs-g")

    grade = Grade.objects.get()
    assert (str(grade.percent_grade), grade.letter_grade, grade.source) == ("0.7200", "Pass", "event")
    [requirement] = credit_api.get_credit_requirement_status(COURSE_KEY, "ana", namespace="grade")
    assert requirement["status"] == "satisfied" and requirement["reason"] == {"final_grade": 0.72}
    assert credit_api.is_user_eligible_for_credit("ana", COURSE_KEY)


def test_a_catalog_change_from_studio_upserts_the_run(lms: Any, db: None) -> None:
    key = "course-v1:edX+NewX+2T2026"
    start, end = datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 8, 1, tzinfo=UTC)
    lms.send(COURSE_CATALOG_INFO_CHANGED, catalog_info=catalog_data(key, name="New", start=start, end=end), at=T0)
    lms.send(
        COURSE_CATALOG_INFO_CHANGED,
        catalog_info=catalog_data(key, name="Older title", start=start),
        at=T0 - timedelta(minutes=5),
    )
    consume_until_caught_up(lms, "cs-h")
    created = CourseRun.objects.get(key=key)
    assert (created.title, created.start, created.end, created.hidden) == ("New", start, end, False)

    lms.send(COURSE_CATALOG_INFO_CHANGED, catalog_info=catalog_data(key, name="New", start=start, hidden=True))
    consume_until_caught_up(lms, "cs-h")
    created.refresh_from_db()
    assert created.hidden is True and created.end is None


def test_malformed_and_unknown_course_events_are_skipped_and_the_stream_goes_on(
    lms: Any, run: CourseRun, support: Any, caplog: Any
) -> None:
    ana = user_data(**ANA)
    garbage = EventsMetadata(event_type=CERTIFICATE_CREATED.event_type, id=uuid1())
    lms.send_raw(garbage, b"\x00not avro")
    unknown = lms.send(CERTIFICATE_CREATED, certificate=certificate_data(ana, "course-v1:edX+Nope+1T2024"))
    bad_mode = lms.send(CERTIFICATE_CREATED, certificate=certificate_data(ana, RUN, mode="no-such-mode"))
    nameless = lms.send(CERTIFICATE_CREATED, certificate=certificate_data(user_data(lms_user_id=9, username=""), RUN))
    awarded = lms.send(CERTIFICATE_CREATED, certificate=certificate_data(ana, RUN))
    with caplog.at_level("INFO"):
        consume_until_caught_up(lms, "cs-i")

    assert cert_status(support)[0]["status"] == "awarded"
    assert lms.group_state("cs-i")["pending"] == 0
    assert not CourseRun.objects.filter(key__contains="Nope").exists()
    skipped = {str(record.event_id) for record in caplog.records if record.getMessage() == "event_skipped"}
    assert skipped == {str(unknown.id), str(bad_mode.id), str(nameless.id)}
    assert any(str(garbage.id) in record.getMessage() for record in caplog.records if record.levelname == "ERROR")
    outcomes = dict(AppliedEvent.objects.values_list("event_id", "outcome"))
    assert outcomes == {unknown.id: "skipped", bad_mode.id: "skipped", nameless.id: "skipped", awarded.id: "applied"}
