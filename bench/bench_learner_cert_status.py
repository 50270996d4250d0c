"""learner_cert_status for learners with 10 and 200 awarded credentials, each asked about all their courses;
the 10-course call also served by Django's WSGI handler as gunicorn calls it (``bench.util.served_post``), with
the cyclic garbage collector's time per call and its longest collection (``core.startup``'s young collections:
too rare, and each one walks cold garbage for tens of milliseconds)."""

from datetime import timedelta

import orjson
from django.utils import timezone

from bench.util import client_for, count_queries, measure, served_post
from core.jwt import encode_jwt
from core.models import User
from credentials_status.models import CourseRunCredential, Grade
from programs.models import Course, CourseRun, Organization

CREDENTIALS = 200
SMALL = 10  # issue 17's everyday case: a program page asks about about ten courses
CALLS = 200
SERVED_CALLS = 5_000  # a young collection every few dozen small requests: enough of them to see the longest


def run() -> list[str]:
    org, _ = Organization.objects.get_or_create(key="BenchX")
    learner, _ = User.objects.get_or_create(username="bench_learner", defaults={"lms_user_id": 900001})
    small, _ = User.objects.get_or_create(username="bench_small", defaults={"lms_user_id": 900002})
    User.objects.get_or_create(username="bench_reader", defaults={"is_staff": True})
    now = timezone.now()
    courses = Course.objects.bulk_create(
        [Course(key=f"BenchX+C{i}", organization=org, title=f"Course {i}") for i in range(CREDENTIALS)]
    )
    runs = CourseRun.objects.bulk_create(
        [CourseRun(key=f"course-v1:BenchX+C{i}+1T2025", course=c, start=now) for i, c in enumerate(courses)]
    )
    CourseRunCredential.objects.bulk_create(
        [
            CourseRunCredential(
                learner=owner, course_run=r, status="awarded", type="verified", awarded_at=now - timedelta(days=1)
            )
            for owner, owned in ((learner, runs), (small, runs[:SMALL]))
            for r in owned
        ]
    )
    Grade.objects.bulk_create(
        [
            Grade(learner=owner, course_run=r, percent_grade="0.9", letter_grade="A")
            for owner, owned in ((learner, runs), (small, runs[:SMALL]))
            for r in owned
        ]
    )

    client = client_for("bench_reader", administrator=True)
    body = {"username": "bench_learner", "courses": [str(c.uuid) for c in courses]}

    def call() -> None:
        response = client.post("/api/credentials/v1/learner_cert_status/", body, format="json")
        assert response.status_code == 200, response.content[:300]
        assert len(response.json()["status"]) == CREDENTIALS, len(response.json()["status"])

    queries = count_queries(call, warm=True)
    median, p95, worst = measure(call, repeat=CALLS)

    small_body = {"username": "bench_small", "courses": [str(c.uuid) for c in courses[:SMALL]]}

    def small_call() -> None:
        response = client.post("/api/credentials/v1/learner_cert_status/", small_body, format="json")
        assert response.status_code == 200, response.content[:300]
        assert len(response.json()["status"]) == SMALL, len(response.json()["status"])

    small_queries = count_queries(small_call, warm=True)
    small_median, small_p95, _ = measure(small_call, repeat=CALLS * 5)

    bulk_body = [
        {"username": "bench_learner", "course_runs": [r.key for r in runs[i % 190 : i % 190 + 10]]} for i in range(1000)
    ]

    def bulk_call() -> None:
        response = client.post("/api/credentials/v1/bulk_learner_cert_status/", bulk_body, format="json")
        assert response.status_code == 200, response.content[:300]

    bulk_queries = count_queries(bulk_call, warm=True)
    bulk_median, _, _ = measure(bulk_call, repeat=10)
    # Measured last: bench/instructions.py counts the call sites in order.
    reader = f"JWT {encode_jwt(username='bench_reader', administrator=True)}"
    served = served_post("/api/credentials/v1/learner_cert_status/", orjson.dumps(small_body), reader)

    def served_call() -> None:
        assert len(orjson.loads(served())["status"]) == SMALL

    collector: list[float] = []
    served_median, served_p95, served_max = measure(served_call, repeat=SERVED_CALLS, collector=collector)
    return [
        f"learner with {SMALL} awarded credentials, asked about {SMALL} courses, {CALLS * 5} calls: "
        f"median {small_median:.2f} ms, p95 {small_p95:.2f} ms; {small_queries} SQL queries per call",
        f"  served by Django's WSGI handler as gunicorn calls it, {SERVED_CALLS:,} calls: median "
        f"{served_median:.2f} ms, p95 {served_p95:.2f} ms, max {served_max:.1f} ms; cyclic garbage collector "
        f"{collector[0]:.3f} ms per call, "
        f"longest collection {collector[1]:.2f} ms",
        f"learner with {CREDENTIALS} awarded credentials, asked about {CREDENTIALS} courses, {CALLS} calls",
        f"median {median:.1f} ms, p95 {p95:.1f} ms, max {worst:.1f} ms; {queries} SQL queries per call",
        f"bulk_learner_cert_status, 1,000 requests x 10 runs: median {bulk_median:.0f} ms over 10 calls; "
        f"{bulk_queries} SQL queries per call",
    ]
