"""A program with an excluded run the learner completed, an upcoming counting run, and a second learner."""

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
from django.utils import timezone

from programs.models import Program, ProgramCourse
from tests.factories import (
    CourseFactory,
    CourseRunFactory,
    CredentialFactory,
    EnrollmentFactory,
    OrganizationFactory,
    UserFactory,
)

NEXT_YEAR = timezone.now().year + 1


def at(year: int, month: int, day: int = 1) -> datetime:
    return datetime(year, month, day, tzinfo=UTC)


def make_learner_data() -> SimpleNamespace:
    org = OrganizationFactory(key="edX", name="edX")
    dsb = CourseFactory(organization=org, key="edX+DSB", title="Data Science Basics")
    stats = CourseFactory(organization=org, key="edX+StatsX", title="Statistics")
    may_2023 = CourseRunFactory(
        course=dsb, key="course-v1:edX+DSB+2T2023", title="Data Science Basics", start=at(2023, 5, 2), end=at(2023, 8)
    )
    upcoming = CourseRunFactory(
        course=dsb,
        key=f"course-v1:edX+DSB+1T{NEXT_YEAR}",
        title="Data Science Basics",
        start=at(NEXT_YEAR, 1, 14),
        end=at(NEXT_YEAR, 5),
    )
    stats_run = CourseRunFactory(
        course=stats, key="course-v1:edX+StatsX+3T2025", title="Statistics", start=at(2025, 9), end=at(2025, 12)
    )
    program = Program.objects.create(title="Data Science", type="MicroMasters", applicable_seat_types=["verified"])
    ProgramCourse.objects.create(program=program, course=dsb, position=0)
    ProgramCourse.objects.create(program=program, course=stats, position=1)
    program.excluded_course_runs.add(may_2023)
    other = Program.objects.create(title="Private Other Program", type="XSeries", applicable_seat_types=["verified"])
    ProgramCourse.objects.create(program=other, course=stats, position=0)

    sam = UserFactory(username="sam", email="sam@example.com", lms_user_id=1003)
    sam.set_password("sam-password-1")
    sam.save()
    CredentialFactory(learner=sam, course_run=may_2023)
    CredentialFactory(learner=sam, course_run=stats_run)
    kim = UserFactory(username="kim", email="kim@example.com", lms_user_id=1004)
    EnrollmentFactory(learner=kim, course_run=stats_run)
    return SimpleNamespace(program=program, other=other, sam=sam, kim=kim, upcoming=upcoming)


@pytest.fixture
def learner_data(db: None) -> SimpleNamespace:
    return make_learner_data()


EXCLUDED_EXPLANATION = (
    "Your certificate from the May 2023 run of Data Science Basics does not count toward this program. To complete "
    f"the course, earn a verified certificate in a run that counts, such as the one starting 14 January {NEXT_YEAR}."
)
NEXT_STEP = f"Enroll in Data Science Basics, the run starting 14 January {NEXT_YEAR}, to complete this course."
