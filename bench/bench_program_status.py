"""learner_program_status for a program of 30 courses x 10 runs and a learner with 300 enrollments and
150 credentials (one run of every course excluded); plus the learner's programs list."""

from datetime import timedelta

from django.utils import timezone

from bench.util import client_for, count_queries, measure
from core.models import User
from credentials_status.models import CourseRunCredential, Grade
from enrollments.models import Enrollment
from programs.models import Course, CourseRun, Organization, Program, ProgramCourse

COURSES = 30
RUNS_PER_COURSE = 10
CREDENTIALS_PER_COURSE = 5
CALLS = 200


def run() -> list[str]:
    org, _ = Organization.objects.get_or_create(key="ProgBenchX")
    learner, _ = User.objects.get_or_create(username="program_bench_learner", defaults={"lms_user_id": 900101})
    User.objects.get_or_create(username="program_bench_reader", defaults={"is_staff": True})
    now = timezone.now()
    courses = Course.objects.bulk_create(
        [Course(key=f"ProgBenchX+C{i}", organization=org, title=f"Course {i}") for i in range(COURSES)]
    )
    runs = CourseRun.objects.bulk_create(
        [
            CourseRun(key=f"course-v1:ProgBenchX+C{i}+{r}T2025", course=c, start=now - timedelta(days=30 * r))
            for i, c in enumerate(courses)
            for r in range(RUNS_PER_COURSE)
        ]
    )
    program = Program.objects.create(title="Bench program", type="MicroMasters", applicable_seat_types=["verified"])
    ProgramCourse.objects.bulk_create(
        [ProgramCourse(program=program, course=c, position=i) for i, c in enumerate(courses)]
    )
    program.excluded_course_runs.set(runs[::RUNS_PER_COURSE])
    Enrollment.objects.bulk_create([Enrollment(learner=learner, course_run=r, mode="verified") for r in runs])
    credited = [r for index, r in enumerate(runs) if index % RUNS_PER_COURSE < CREDENTIALS_PER_COURSE]
    CourseRunCredential.objects.bulk_create(
        [
            CourseRunCredential(
                learner=learner, course_run=r, status="awarded", type="verified", awarded_at=now - timedelta(days=1)
            )
            for r in credited
        ]
    )
    Grade.objects.bulk_create(
        [Grade(learner=learner, course_run=r, percent_grade="0.9", letter_grade="A") for r in credited]
    )

    client = client_for("program_bench_reader", administrator=True)
    body = {"username": "program_bench_learner", "program_uuid": str(program.uuid)}

    def status_call() -> None:
        response = client.post("/api/credentials/v1/learner_program_status/", body, format="json")
        assert response.status_code == 200, response.content[:300]
        answer = response.json()
        assert answer["completed_courses"] == COURSES, answer["completed_courses"]
        assert len(answer["warnings"]) == COURSES, len(answer["warnings"])

    def list_call() -> None:
        response = client.get("/api/credentials/v1/learners/program_bench_learner/programs/")
        assert response.status_code == 200, response.content[:300]
        assert response.json()[0]["excluded_completions"] == COURSES

    status_queries = count_queries(status_call, warm=True)
    status_median, status_p95, status_max = measure(status_call, repeat=CALLS)
    list_queries = count_queries(list_call, warm=True)
    list_median, list_p95, list_max = measure(list_call, repeat=CALLS)
    return [
        f"program of {COURSES} courses x {RUNS_PER_COURSE} runs ({COURSES} excluded); learner with "
        f"{len(runs)} enrollments and {len(credited)} credentials; {CALLS} calls each",
        f"learner_program_status: median {status_median:.1f} ms, p95 {status_p95:.1f} ms, max {status_max:.1f} ms; "
        f"{status_queries} SQL queries per call",
        f"learners/{{username}}/programs/: median {list_median:.1f} ms, p95 {list_p95:.1f} ms, max {list_max:.1f} ms; "
        f"{list_queries} SQL queries per call",
    ]
