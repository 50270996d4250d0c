"""A learner re-requesting credit while the provider approves: the credit-request row lock.

Runs in CI on PostgreSQL and on MariaDB (``ON_POSTGRESQL_AND_MARIADB``); SQLite serializes writers by itself.
"""

import threading
import time

import pytest
from django.db import transaction

from credit import api
from credit.exceptions import RequestAlreadyCompleted
from credit.models import CreditRequest
from tests import concurrency
from tests.credit.conftest import COURSE_KEY
from tests.credit.factories import CreditEligibilityFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


@concurrency.ON_POSTGRESQL_AND_MARIADB
def test_a_re_request_while_the_provider_approves_never_writes_pending_over_approved(
    server_database, credit_course, provider
):
    """The approval holds the request's row until it commits; the re-request must then see ``approved``.

    Without the lock the re-request reads ``pending`` before the approval commits and saves the whole row
    after it, putting ``pending`` back over ``approved``.
    """
    concurrency.skip_unless_on(server_database)
    learner = UserFactory()
    api.set_credit_requirement_status(learner, COURSE_KEY, "grade", "grade", reason={"final_grade": 0.9})
    CreditEligibilityFactory(learner=learner, course=credit_course)
    request_uuid = api.create_credit_request(COURSE_KEY, "hogwarts", learner.username)["parameters"]["request_uuid"]
    approved_not_committed = threading.Event()
    learner_blocked: list[bool] = []

    def approve() -> None:
        with transaction.atomic():
            api.update_credit_request_status(request_uuid, "hogwarts", "approved")
            approved_not_committed.set()
            # Commit only once the re-request waits on the row (it does, with or without the lock;
            # the deadline only bounds a hang).
            deadline = time.monotonic() + 10
            while not concurrency.another_session_waits_for_a_lock() and time.monotonic() < deadline:
                time.sleep(0.01)
            learner_blocked.append(concurrency.another_session_waits_for_a_lock())

    def re_request() -> None:
        assert approved_not_committed.wait(timeout=10)
        api.create_credit_request(COURSE_KEY, "hogwarts", learner.username)

    _, errors = concurrency.run_together(approve, re_request)

    assert learner_blocked == [True]
    assert CreditRequest.objects.get(uuid=request_uuid).status == "approved"
    assert [type(error) for error in errors] == [RequestAlreadyCompleted]
