"""learner_cert_status measured as issue 17 measured Open edX Credentials, for the side-by-side table of
docs/performance.rst: an in-process DRF ``APIClient`` sending a JWT, a learner holding C awarded certificates
with grades, asked about all C courses; 3 warm-up calls, then 30 timed calls, every answer parsed and checked
inside the timed call; the median, and the SQL statements of one call after the warm-ups.

The cases are the issue's: C = 1, 10 and 200, and 200 with 50 other certificates the learner holds in
courses not asked about. Unlike ``bench.util.measure``, nothing is done to the garbage collector: the issue
timed both services as their test settings leave it. Its figures were on SQLite in memory:
``DATABASE_URL=sqlite://:memory: .venv/bin/python bench/run.py credentials_comparison``."""

import statistics
import time
from collections.abc import Callable
from datetime import timedelta

from django.utils import timezone

from bench.util import client_for, count_queries
from core.models import User
from credentials_status.models import CourseRunCredential, Grade
from programs.models import Course, CourseRun, Organization

CASES = ((1, 0), (10, 0), (200, 0), (200, 50))  # (courses asked about and held, other certificates held)
WARM_UPS = 3
TIMED = 30


def run() -> list[str]:
    org, _ = Organization.objects.get_or_create(key="CompareX")
    User.objects.get_or_create(username="compare_reader", defaults={"is_staff": True})
    client = client_for("compare_reader", administrator=True)
    lines = [f"{WARM_UPS} warm-up calls, then {TIMED} timed calls per case; every answer checked"]
    for asked, others in CASES:
        courses = _learner_holding(org, f"compare_{asked}_{others}", asked + others)
        body = {"username": f"compare_{asked}_{others}", "courses": [str(c.uuid) for c in courses[:asked]]}

        def call(body: dict[str, object] = body, asked: int = asked) -> None:
            response = client.post("/api/credentials/v1/learner_cert_status/", body, format="json")
            assert response.status_code == 200, response.content[:300]
            answer = response.json()["status"]
            assert len(answer) == asked and all(item["status"] == "awarded" for item in answer), answer[:2]

        median, queries = _timed(call)
        label = f"C={asked}" + (f" + {others} other certificates" if others else "")
        lines.append(f"{label}: median {median:.2f} ms; {queries} SQL queries per call")
    return lines


def _learner_holding(org: Organization, username: str, count: int) -> list[Course]:
    """A learner with an awarded certificate and a grade in one run of each of ``count`` new courses."""
    learner, _ = User.objects.get_or_create(username=username)
    now = timezone.now()
    courses = Course.objects.bulk_create(
        [Course(key=f"CompareX+{username}C{i}", organization=org, title=f"Course {i}") for i in range(count)]
    )
    runs = CourseRun.objects.bulk_create(
        [CourseRun(key=f"course-v1:CompareX+{username}C{i}+1T2025", course=c) for i, c in enumerate(courses)]
    )
    CourseRunCredential.objects.bulk_create(
        CourseRunCredential(
            learner=learner, course_run=r, status="awarded", type="verified", awarded_at=now - timedelta(1)
        )
        for r in runs
    )
    Grade.objects.bulk_create(Grade(learner=learner, course_run=r, percent_grade="0.9", letter_grade="A") for r in runs)
    return courses


def _timed(call: Callable[[], None]) -> tuple[float, int]:
    """(median milliseconds of the timed calls, statements of one call after the warm-ups)."""
    for _ in range(WARM_UPS):
        call()
    queries = count_queries(call)
    samples = []
    for _ in range(TIMED):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples), queries
