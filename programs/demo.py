"""Demo catalog: five runs of four edX courses, and a program that excludes one run."""

from datetime import timedelta

from django.utils import timezone

from programs.models import Course, Program, ProgramCourse, ProgramStatus
from programs.services import course_run_upsert

DEMO_PROGRAM_UUID = "5b1f2c3d-0000-4000-8000-00000000d3e0"
DEMO_RUNS = [
    ("course-v1:edX+DemoX+1T2024", "Demonstration Course"),
    ("course-v1:edX+DemoX+2T2023", "Demonstration Course (2023)"),
    ("course-v1:edX+StatsX+3T2025", "Statistics"),
    ("course-v1:edX+CalcX+1T2026", "Calculus"),
    ("course-v1:edX+PhysX+1T2026", "Physics"),
]
EXCLUDED_RUN = "course-v1:edX+DemoX+2T2023"


def load_demo() -> str:
    now = timezone.now()
    for index, (key, title) in enumerate(DEMO_RUNS):
        course_run_upsert(key=key, title=title, start=now - timedelta(days=400 - index * 60))
    program, _ = Program.objects.update_or_create(
        uuid=DEMO_PROGRAM_UUID,
        defaults={
            "title": "Demo Data Science",
            "type": "MicroMasters",
            "type_slug": "micromasters",
            "status": ProgramStatus.ACTIVE,
            "applicable_seat_types": ["verified", "professional"],
        },
    )
    for position, course_key in enumerate(["edX+DemoX", "edX+StatsX"]):
        ProgramCourse.objects.update_or_create(
            program=program, course=Course.objects.get(key=course_key), defaults={"position": position}
        )
    program.excluded_course_runs.set(program.courses.get(key="edX+DemoX").course_runs.filter(key=EXCLUDED_RUN))
    return f"{len(DEMO_RUNS)} course runs; program {program.uuid} excluding {EXCLUDED_RUN}"
