"""Demo learners and their certificates.

- ``demo`` (LMS user id 1001): awarded DemoX 1T2024 (grade 0.92), revoked StatsX, CalcX awarded but
  not available for 30 days.
- ``sam`` (LMS user id 1003): awarded in DemoX 2T2023, the run the demo program excludes, and in
  StatsX 3T2025; enrolled in DemoX 1T2024. The demo program shows 1 of 2 courses completed and a
  ``completed_excluded_run`` warning (support console: /support/learners/sam/).
- ``support``: holds the learner_status_readers role (get a token with create_dev_jwt support).
"""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.utils import timezone

from core.roles import Role
from core.services import learner_get_or_create
from credentials_status.services import course_run_credential_upsert, grade_upsert
from enrollments.api import enrollment_upsert
from programs.api import course_run_ensure


def load_demo() -> str:
    now = timezone.now()
    learner_get_or_create(username="demo", lms_user_id=1001, email="demo@example.com")
    learner_get_or_create(username="sam", lms_user_id=1003, email="sam@example.com")
    course_run_credential_upsert(
        username="demo",
        lms_user_id=1001,
        course_run_key="course-v1:edX+DemoX+1T2024",
        status="awarded",
        type="verified",
    )
    grade_upsert(
        username="demo",
        lms_user_id=1001,
        course_run_key="course-v1:edX+DemoX+1T2024",
        percent_grade=Decimal("0.92"),
        letter_grade="A",
    )
    course_run_credential_upsert(
        username="demo",
        lms_user_id=1001,
        course_run_key="course-v1:edX+StatsX+3T2025",
        status="revoked",
        type="verified",
    )
    course_run_credential_upsert(
        username="demo",
        lms_user_id=1001,
        course_run_key="course-v1:edX+CalcX+1T2026",
        status="awarded",
        type="verified",
        certificate_available_date=now + timedelta(days=30),
    )
    course_run_credential_upsert(
        username="sam", lms_user_id=1003, course_run_key="course-v1:edX+DemoX+2T2023", status="awarded", type="verified"
    )
    course_run_credential_upsert(
        username="sam",
        lms_user_id=1003,
        course_run_key="course-v1:edX+StatsX+3T2025",
        status="awarded",
        type="verified",
    )
    enrollment_upsert(
        learner=learner_get_or_create(username="sam", lms_user_id=1003),
        course_run=course_run_ensure(key="course-v1:edX+DemoX+1T2024"),
        mode="verified",
    )
    support = learner_get_or_create(username="support", email="support@example.com")
    support.groups.add(Group.objects.get_or_create(name=Role.LEARNER_STATUS_READERS.value)[0])
    return "learners demo, sam and the support reader"
