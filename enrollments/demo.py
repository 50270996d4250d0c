"""Demo enrollments: ``demo`` is enrolled (verified) in PhysX 1T2026."""

from core.models import User
from enrollments.services import enrollment_upsert
from programs.models import CourseRun


def load_demo() -> str:
    demo = User.objects.get(username="demo")
    enrollment_upsert(learner=demo, course_run=CourseRun.objects.get(key="course-v1:edX+PhysX+1T2026"), mode="verified")
    return "demo enrolled in course-v1:edX+PhysX+1T2026"
