"""Demo credit data: a provider with integration and the DemoX 1T2024 run as a credit course.

- ``demo-university`` (integration on; its shared secret comes from ``CREDIT_PROVIDER_SECRET_KEYS``,
  e.g. ``{"demo-university": "demo-secret"}``; without it, requests answer 403 "not configured").
- ``course-v1:edX+DemoX+1T2024``: an enabled credit course with a ``grade`` requirement (min 0.8)
  and a proctored exam. The demo learner's grade of 0.92 (credentials_status demo) satisfies the
  grade requirement; the exam is left for the visitor to set, which makes ``demo`` eligible.
"""

from credit.models import CreditCourse, CreditProvider, CreditRequirement
from credit.services import credit_course_set, credit_requirements_set, grade_requirement_update

COURSE_KEY = "course-v1:edX+DemoX+1T2024"


def load_demo() -> str:
    CreditProvider.objects.update_or_create(
        provider_id="demo-university",
        defaults={
            "display_name": "Demo State University",
            "provider_url": "https://credit.example.com/request",
            "provider_status_url": "https://credit.example.com/status",
            "description": "Grants three credit hours for DemoX.",
            "enable_integration": True,
            "fulfillment_instructions": "<p>Send us your transcript request after approval.</p>",
        },
    )
    credit_course_set(course_key=COURSE_KEY, enabled=True)
    credit_requirements_set(
        course_key=COURSE_KEY,
        requirements=[
            {"namespace": "grade", "name": "grade", "display_name": "Minimum grade", "criteria": {"min_grade": 0.8}},
            {"namespace": "proctored_exam", "name": "final", "display_name": "Proctored final exam", "criteria": {}},
        ],
    )
    # Grades are loaded before this app's demo (INSTALLED_APPS order); apply the demo learner's now.
    grade_requirement_update(username="demo", course_run_key=COURSE_KEY, percent_grade=0.92)
    courses = CreditCourse.objects.count()
    requirements = CreditRequirement.objects.filter(active=True).count()
    return f"{CreditProvider.objects.count()} provider(s), {courses} credit course(s), {requirements} requirement(s)"
