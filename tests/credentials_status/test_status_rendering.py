"""The status endpoints render answers without DRF's nested serializers; the bytes must not change.

``cert_status_answer_data`` is compared with ``LearnerCertStatusOutput`` (the documented schema) on
answers covering every shape an item takes, value by value and as rendered JSON.
"""

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest
from rest_framework.renderers import JSONRenderer

from credentials_status.data import GradeData, LearnerRunStatus, RunRef, StatusAnswer, StatusItem
from credentials_status.rest_api.v1.serializers import LearnerCertStatusOutput, cert_status_answer_data

COURSE = UUID("7b1f3c6e-9d2a-4c1e-8f00-1a2b3c4d5e6f")
RUN = UUID("0e5d1c2b-3a49-4f8e-9d7c-6b5a4f3e2d1c")

ITEMS = [
    # An award with a grade whose percent needs rounding and padding, and an available date.
    StatusItem(
        course_uuid=COURSE,
        course_run=RunRef(uuid=RUN, key="course-v1:edX+DemoX+1T2025"),
        status=LearnerRunStatus.AWARDED,
        type="verified",
        certificate_available_date=datetime(2025, 3, 1, 12, 30, tzinfo=UTC),
        grade=GradeData(letter_grade="A", percent_grade=Decimal("0.91255"), verified=True),
    ),
    # A date given in another time zone (rendered in UTC) with microseconds, a grade of exactly 1.
    StatusItem(
        course_uuid=COURSE,
        course_run=RunRef(uuid=RUN, key="course-v1:edX+DemoX+2T2025"),
        status=LearnerRunStatus.PENDING_AVAILABILITY,
        type="professional",
        certificate_available_date=datetime(2030, 1, 1, 9, 0, 0, 250, tzinfo=timezone(timedelta(hours=-5))),
        grade=GradeData(letter_grade="", percent_grade=Decimal("1"), verified=False),
    ),
    # A run asked for by key only, unknown here: no uuid, no course, no type, no grade.
    StatusItem(
        course_uuid=None,
        course_run=RunRef(uuid=None, key="course-v1:edX+Gone+1T2020"),
        status=LearnerRunStatus.NOT_ENROLLED,
    ),
    # A course with no run touched.
    StatusItem(course_uuid=COURSE, course_run=None, status=LearnerRunStatus.NOT_ENROLLED),
    # Zero and a tiny percent.
    StatusItem(
        course_uuid=COURSE,
        course_run=RunRef(uuid=RUN, key=None),
        status=LearnerRunStatus.ENROLLED,
        type="audit",
        grade=GradeData(letter_grade="F", percent_grade=Decimal("0.00004"), verified=False),
    ),
    StatusItem(
        course_uuid=COURSE,
        course_run=RunRef(uuid=RUN, key="course-v1:edX+DemoX+3T2025"),
        status=LearnerRunStatus.REVOKED,
        type="honor",
        grade=GradeData(letter_grade="Pass", percent_grade=Decimal("0.0000"), verified=True),
    ),
]

ANSWERS = [
    StatusAnswer(lms_user_id=7, username="ana", status=list(ITEMS)),
    StatusAnswer(lms_user_id=None, username="ghost", status=[]),
    StatusAnswer(lms_user_id=12, username=None, status=ITEMS[2:4]),
]


@pytest.mark.parametrize("answer", ANSWERS, ids=["every-item-shape", "unknown-learner", "by-lms-id"])
def test_fast_rendering_equals_the_serializer(answer):
    expected = LearnerCertStatusOutput(answer).data
    actual = cert_status_answer_data(answer)
    assert actual == expected
    assert JSONRenderer().render(actual) == JSONRenderer().render(expected)


def test_rendered_json_keeps_the_wire_formats():
    rendered = JSONRenderer().render(cert_status_answer_data(ANSWERS[0])).decode()
    # Credentials' clients read these exact forms: a float percent at four places, a Z date in UTC.
    assert '"percent_grade":0.9126' in rendered
    assert '"certificate_available_date":"2025-03-01T12:30:00Z"' in rendered
    assert '"certificate_available_date":"2030-01-01T14:00:00.000250Z"' in rendered
    assert '"course_run":null' in rendered


def test_bulk_answers_render_like_the_many_serializer():
    expected = LearnerCertStatusOutput(ANSWERS, many=True).data
    assert [cert_status_answer_data(answer) for answer in ANSWERS] == expected
