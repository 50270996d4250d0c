"""Demo catalog: five runs of four edX courses, and a program that excludes one run."""

from datetime import timedelta

from django.utils import timezone

from programs.models import Course, Program, ProgramCourse, ProgramStatus
from programs.services import course_run_upsert

DEMO_PROGRAM_UUID = "5b1f2c3d-0000-4000-8000-00000000d3e0"
# (run key, course title, start and end in days from today): dated relative to the day the demo is
# loaded, so that every demo has an ended run (the excluded one), runs in progress and runs starting
# soon to suggest and enroll in, whatever the date. The keys keep their historical names.
DEMO_RUNS = [
    ("course-v1:edX+DemoX+2T2023", "Demonstration Course", -800, -680),
    ("course-v1:edX+DemoX+1T2024", "Demonstration Course", -60, 60),
    ("course-v1:edX+StatsX+3T2025", "Statistics", -30, 90),
    ("course-v1:edX+CalcX+1T2026", "Calculus", 30, 150),
    ("course-v1:edX+PhysX+1T2026", "Physics", 30, 150),
]
EXCLUDED_RUN = "course-v1:edX+DemoX+2T2023"


def load_demo() -> str:
    # Midnight UTC: loading twice on one day changes nothing.
    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    for key, title, start, end in DEMO_RUNS:
        run, _ = course_run_upsert(
            key=key, title=title, start=today + timedelta(days=start), end=today + timedelta(days=end)
        )
        Course.objects.filter(pk=run.course_id, title="").update(title=title)
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
