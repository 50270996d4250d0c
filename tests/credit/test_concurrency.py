"""Concurrent writers on PostgreSQL: eligibility is granted exactly once, a credit request made once.

Runs in CI on PostgreSQL only (marked ``postgres``: CI's MariaDB run deselects it).
The credit-request row lock runs on MariaDB too: tests/credit/test_request_race.py.
"""

from collections.abc import Callable

import pytest
from django.core import mail
from django.db import connection

from credit import api
from credit.models import CreditEligibility, CreditRequest
from tests import concurrency
from tests.credit.conftest import COURSE_KEY, TWO_REQUIREMENTS
from tests.credit.factories import CreditEligibilityFactory
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

EXAM = ("proctored_exam", "i4x://edX/DemoX/proctoring-block/final_uuid")


@pytest.fixture(autouse=True)
def _needs_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("NEEDS POSTGRESQL: run with DATABASE_URL=postgres://... (SQLite serializes all writers)")


def run_together(*calls: Callable[[], object]) -> list[BaseException]:
    return concurrency.run_together(*calls)[1]


def test_two_requirements_satisfied_at_once_grant_eligibility_once(credit_course):
    learners = [UserFactory() for _ in range(8)]
    for learner in learners:
        errors = run_together(
            lambda learner=learner: api.set_credit_requirement_status(learner, COURSE_KEY, *EXAM),
            lambda learner=learner: api.set_credit_requirement_status(learner, COURSE_KEY, "grade", "grade"),
        )
        assert errors == []
    for learner in learners:
        assert api.is_user_eligible_for_credit(learner.username, COURSE_KEY) is True
    assert CreditEligibility.objects.count() == len(learners)


def test_concurrent_credit_requests_make_one_request(credit_course, provider):
    learner = UserFactory()
    # A request needs the final grade of the satisfied grade requirement, as in the LMS.
    api.set_credit_requirement_status(learner, COURSE_KEY, "grade", "grade", reason={"final_grade": 0.9})
    CreditEligibilityFactory(learner=learner, course=credit_course)
    answers: list[str] = []

    def request() -> None:
        answers.append(
            api.create_credit_request(COURSE_KEY, "hogwarts", learner.username)["parameters"]["request_uuid"]
        )

    assert run_together(request, request, request) == []
    assert CreditRequest.objects.count() == 1
    assert len(set(answers)) == 1


def test_a_shorter_list_and_repeated_statuses_at_once_grant_and_mail_each_learner_once(credit_course):
    learners = [UserFactory(email=f"learner{index}@example.com") for index in range(6)]
    for _ in range(3):
        api.set_credit_requirements(COURSE_KEY, TWO_REQUIREMENTS)
        CreditEligibility.objects.all().delete()
        for learner in learners:
            api.set_credit_requirement_status(learner, COURSE_KEY, *EXAM)
        mail.outbox.clear()
        resends = [
            lambda learner=learner: api.set_credit_requirement_status(learner, COURSE_KEY, *EXAM)
            for learner in learners
        ]
        errors = run_together(lambda: api.set_credit_requirements(COURSE_KEY, [TWO_REQUIREMENTS[0]]), *resends)
        assert errors == []
        assert sorted(CreditEligibility.objects.values_list("learner", flat=True)) == sorted(u.pk for u in learners)
        assert sorted(message.to[0] for message in mail.outbox) == sorted(u.email for u in learners)
