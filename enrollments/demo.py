"""Demo enrollments: ``demo`` is enrolled (verified) in PhysX 1T2026; ``invited@example.com`` is pending there."""

from core.models import User
from enrollments.models import PendingEnrollment
from enrollments.services import enrollment_upsert
from programs.api import course_run_ensure


def load_demo() -> str:
    demo = User.objects.get(username="demo")
    run = course_run_ensure(key="course-v1:edX+PhysX+1T2026")
    enrollment_upsert(learner=demo, course_run=run, mode="verified")
    PendingEnrollment.objects.get_or_create(
        email="invited@example.com", course_run_id=run.id, defaults={"mode": "audit"}
    )
    return f"demo enrolled in {run.key}; invited@example.com pending there (realised when that learner appears)"
