"""python manage.py load_demo_data : a small, repeatable demo catalog and learner record set.

Idempotent: running it twice leaves the same rows. The demo learner ``demo`` (LMS user id 1001)
has an awarded verified certificate in DemoX, a revoked one in StatsX, a certificate not yet
available in CalcX, and an enrollment in PhysX.
"""

from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from core.models import User
from core.services import learner_get_or_create
from credentials_status.services import course_run_credential_upsert, grade_upsert
from enrollments.services import enrollment_upsert
from programs.services import course_run_upsert

DEMO_RUNS = [
    ("course-v1:edX+DemoX+1T2024", "Demonstration Course"),
    ("course-v1:edX+DemoX+2T2023", "Demonstration Course (2023)"),
    ("course-v1:edX+StatsX+3T2025", "Statistics"),
    ("course-v1:edX+CalcX+1T2026", "Calculus"),
    ("course-v1:edX+PhysX+1T2026", "Physics"),
]


class Command(BaseCommand):
    help = "Load a small demo data set (catalog, learners, credentials). Safe to run repeatedly."

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        for index, (key, title) in enumerate(DEMO_RUNS):
            course_run_upsert(key=key, title=title, start=now - timedelta(days=400 - index * 60))
        learner = learner_get_or_create(username="demo", lms_user_id=1001, email="demo@example.com")
        learner_get_or_create(username="other_learner", lms_user_id=1002, email="other@example.com")
        record = {"username": "demo", "lms_user_id": 1001}
        course_run_credential_upsert(**record, course_run_key=DEMO_RUNS[0][0], status="awarded", type="verified")
        grade_upsert(**record, course_run_key=DEMO_RUNS[0][0], percent_grade=Decimal("0.92"), letter_grade="A")
        course_run_credential_upsert(**record, course_run_key=DEMO_RUNS[2][0], status="revoked", type="verified")
        course_run_credential_upsert(
            **record,
            course_run_key=DEMO_RUNS[3][0],
            status="awarded",
            type="verified",
            certificate_available_date=now + timedelta(days=30),
        )
        enrollment_upsert(learner=learner, course_run=course_run_upsert(key=DEMO_RUNS[4][0])[0], mode="verified")

        support, _ = User.objects.get_or_create(username="support", defaults={"email": "support@example.com"})
        support.groups.add(*_groups("learner_status_readers"))
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded: {len(DEMO_RUNS)} course runs, learner 'demo'."))


def _groups(*names: str) -> list[Any]:
    from django.contrib.auth.models import Group

    return [Group.objects.get_or_create(name=name)[0] for name in names]
