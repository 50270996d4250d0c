"""Demo catalog: five runs of four edX courses, and a program that excludes one run."""

from datetime import UTC, datetime

from programs.models import Course, Program, ProgramCourse, ProgramStatus
from programs.services import course_run_upsert

DEMO_PROGRAM_UUID = "5b1f2c3d-0000-4000-8000-00000000d3e0"
# (run key, course title, start, end)
DEMO_RUNS = [
    ("course-v1:edX+DemoX+2T2023", "Demonstration Course", (2023, 4, 3), (2023, 7, 31)),
    ("course-v1:edX+DemoX+1T2024", "Demonstration Course", (2024, 1, 15), (2024, 5, 13)),
    ("course-v1:edX+StatsX+3T2025", "Statistics", (2025, 9, 1), (2025, 12, 15)),
    ("course-v1:edX+CalcX+1T2026", "Calculus", (2026, 1, 12), (2026, 5, 11)),
    ("course-v1:edX+PhysX+1T2026", "Physics", (2026, 1, 12), (2026, 5, 11)),
]
EXCLUDED_RUN = "course-v1:edX+DemoX+2T2023"


def load_demo() -> str:
    for key, title, start, end in DEMO_RUNS:
        run, _ = course_run_upsert(
            key=key, title=title, start=datetime(*start, tzinfo=UTC), end=datetime(*end, tzinfo=UTC)
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
