"""learner_program_status for a program of 30 courses x 10 runs and a learner with 300 enrollments and
150 credentials (one run of every course excluded); plus the learner's programs list; then the status
in a program of 100 courses built the same way (issue 17's second size), also served by Django's WSGI
handler as gunicorn calls it (``bench.util.served_post``: the test client keeps each answer in a reference
cycle until the garbage collector runs, a worker frees it as it is sent).

Every answer is parsed and checked inside the timed call. The parse is orjson's: the 100-course answer
is 489 KB, and ``json.loads`` (the test client's ``response.json()``) took 2.2 ms of it, orjson 1.2 ms,
time this service does not spend (docs/performance.rst gives the figures with both)."""

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

import orjson
from django.utils import timezone

from bench.util import client_for, count_queries, measure, served_post
from core.jwt import encode_jwt
from core.models import User
from credentials_status.models import CourseRunCredential, Grade
from enrollments.models import Enrollment
from programs.models import Course, CourseRun, Organization, Program, ProgramCourse

if TYPE_CHECKING:
    from rest_framework.test import APIClient

COURSES = 30
LARGE_COURSES = 100
RUNS_PER_COURSE = 10
CREDENTIALS_PER_COURSE = 5
CALLS = 200


def run() -> list[str]:
    User.objects.get_or_create(username="program_bench_reader", defaults={"is_staff": True})
    client = client_for("program_bench_reader", administrator=True)
    lines = _program_lines(client, COURSES, with_list=True)
    return lines + _program_lines(client, LARGE_COURSES, with_list=False, with_served=True)


_STATUS_PATH = "/api/credentials/v1/learner_program_status/"
_RELEASE = "core.middleware.ReleaseRenderedResponseMiddleware"


def _served_lines(body: dict[str, str], courses_count: int) -> list[str]:
    """The status served as gunicorn serves it, as shipped and without the middleware that frees each answer
    as it is sent (the test client's answers wait for the collector either way), with the time spent in the
    cyclic garbage collector."""
    reader = f"JWT {encode_jwt(username='program_bench_reader', administrator=True)}"
    lines = []
    for label, without in [("as shipped", None), ("without ReleaseRenderedResponseMiddleware", _RELEASE)]:
        served = served_post(_STATUS_PATH, orjson.dumps(body), reader, without=without)

        def served_call(served: Callable[[], bytes] = served) -> None:
            answer = orjson.loads(served())
            assert answer["completed_courses"] == courses_count, answer["completed_courses"]

        collector: list[float] = []
        median, p95, most = measure(served_call, repeat=CALLS, collector=collector)
        lines.append(
            f"  served by Django's WSGI handler as gunicorn calls it, {label}: median {median:.1f} ms, "
            f"p95 {p95:.1f} ms, max {most:.1f} ms; cyclic garbage collector {collector[0]:.2f} ms per call, "
            f"longest collection {collector[1]:.2f} ms"
        )
    return lines


def _program_lines(client: "APIClient", courses_count: int, *, with_list: bool, with_served: bool = False) -> list[str]:
    """Build a program of ``courses_count`` courses and its learner; time the status (and the list)."""
    org_key = f"ProgBench{courses_count}X"
    username = f"program_bench_learner_{courses_count}"
    org, _ = Organization.objects.get_or_create(key=org_key)
    learner, _ = User.objects.get_or_create(username=username, defaults={"lms_user_id": 900100 + courses_count})
    now = timezone.now()
    courses = Course.objects.bulk_create(
        [Course(key=f"{org_key}+C{i}", organization=org, title=f"Course {i}") for i in range(courses_count)]
    )
    runs = CourseRun.objects.bulk_create(
        [
            CourseRun(key=f"course-v1:{org_key}+C{i}+{r}T2025", course=c, start=now - timedelta(days=30 * r))
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
    body = {"username": username, "program_uuid": str(program.uuid)}

    def status_call() -> None:
        response = client.post("/api/credentials/v1/learner_program_status/", body, format="json")
        assert response.status_code == 200, response.content[:300]
        answer = orjson.loads(response.content)  # checked, as every answer is; orjson: see the module's docstring
        assert answer["completed_courses"] == courses_count, answer["completed_courses"]
        assert len(answer["warnings"]) == courses_count, len(answer["warnings"])

    def list_call() -> None:
        response = client.get(f"/api/credentials/v1/learners/{username}/programs/")
        assert response.status_code == 200, response.content[:300]
        assert orjson.loads(response.content)[0]["excluded_completions"] == courses_count

    status_queries = count_queries(status_call, warm=True)
    status_median, status_p95, status_max = measure(status_call, repeat=CALLS)
    lines = [
        f"program of {courses_count} courses x {RUNS_PER_COURSE} runs ({courses_count} excluded); learner with "
        f"{len(runs)} enrollments and {len(credited)} credentials; {CALLS} calls each",
        f"learner_program_status: median {status_median:.1f} ms, p95 {status_p95:.1f} ms, max {status_max:.1f} ms; "
        f"{status_queries} SQL queries per call",
    ]
    if with_served:  # measured last: bench/instructions.py counts the call sites in order
        lines += _served_lines(body, courses_count)
    if with_list:
        list_queries = count_queries(list_call, warm=True)
        list_median, list_p95, list_max = measure(list_call, repeat=CALLS)
        lines.append(
            f"learners/{{username}}/programs/: median {list_median:.1f} ms, p95 {list_p95:.1f} ms, "
            f"max {list_max:.1f} ms; {list_queries} SQL queries per call"
        )
    return lines
