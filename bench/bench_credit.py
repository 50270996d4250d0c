"""Credit: a learner's status on a course with 50 requirements, and signed provider callbacks."""

import time

from django.conf import settings

from bench.util import client_for, count_queries, measure
from core.models import User
from core.throttling import ScopedRateThrottle
from credit import api
from credit.models import CreditCourse, CreditProvider, CreditRequest
from credit.signature import signature

REQUIREMENTS = 50
CALLS = 200
COURSE_KEY = "course-v1:BenchX+Credit+1T2025"


def run() -> list[str]:
    CreditCourse.objects.get_or_create(course_key=COURSE_KEY, defaults={"enabled": True})
    requirements = [
        {"namespace": "exam", "name": f"exam-{i}", "display_name": f"Exam {i}", "criteria": {}}
        for i in range(REQUIREMENTS)
    ]
    api.set_credit_requirements(COURSE_KEY, requirements)
    learner, _ = User.objects.get_or_create(username="bench_credit_learner", defaults={"email": "b@example.com"})
    for requirement in requirements:
        api.set_credit_requirement_status(learner, COURSE_KEY, "exam", requirement["name"])
    client = client_for("bench_credit_learner")

    def status_read() -> None:
        response = client.get(f"/api/credit/v1/courses/{COURSE_KEY}/requirements/status/?username=bench_credit_learner")
        assert response.status_code == 200, response.content[:300]
        assert len(response.json()) == REQUIREMENTS

    status_queries = count_queries(status_read)
    status_median, status_p95, _ = measure(status_read, repeat=CALLS)

    settings.CREDIT_PROVIDER_SECRET_KEYS = {"bench-provider": ["new-secret", "old-secret"]}
    provider, _ = CreditProvider.objects.get_or_create(provider_id="bench-provider", defaults={"display_name": "B"})
    course = CreditCourse.objects.get(course_key=COURSE_KEY)
    credit_request, _ = CreditRequest.objects.get_or_create(
        learner=learner, course=course, provider=provider, defaults={"uuid": "b" * 32}
    )
    anonymous = client_for("nobody")
    anonymous.credentials()
    # The throttle would stop a benchmark; it is not what is measured.
    ScopedRateThrottle.THROTTLE_RATES = {**ScopedRateThrottle.THROTTLE_RATES, "credit_callback": "1000000/minute"}

    def callback() -> None:
        body = {"request_uuid": credit_request.uuid, "status": "approved", "timestamp": int(time.time())}
        body["signature"] = signature(body, "old-secret")  # verified after trying the newest key
        response = anonymous.post("/api/credit/v1/providers/bench-provider/callback/", body, format="json")
        assert response.status_code == 200, response.content[:300]

    callback_queries = count_queries(callback)
    callback_median, callback_p95, _ = measure(callback, repeat=CALLS)
    return [
        f"requirement status read, {REQUIREMENTS} requirements, {CALLS} calls: median {status_median:.1f} ms, "
        f"p95 {status_p95:.1f} ms; {status_queries} SQL queries per call",
        f"signed provider callback (second of two keys), {CALLS} calls: median {callback_median:.1f} ms, "
        f"p95 {callback_p95:.1f} ms; {callback_queries} SQL queries per call",
    ]
