"""Pending enrollments become enrollments exactly once when a learner with that email appears."""

import uuid

import pytest
from django.conf import settings

from core.api import learner_get_or_create
from enrollments.models import Enrollment, PendingEnrollment
from enrollments.services import pending_enrollments_realize, pending_enrollments_realize_many
from tests.concurrency import run_together
from tests.factories import CourseRunFactory, EnrollmentFactory, UserFactory

IS_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


@pytest.fixture
def runs(db):
    return [CourseRunFactory(), CourseRunFactory()]


@pytest.fixture
def pending(runs):
    license_uuid = uuid.uuid4()
    return [
        PendingEnrollment.objects.create(
            email="newbie@example.com", course_run=run, mode="verified", license_uuid=license_uuid
        )
        for run in runs
    ]


def _enrolled(username):
    return sorted(
        Enrollment.objects.filter(learner__username=username, is_active=True).values_list("course_run__key", flat=True)
    )


@pytest.mark.django_db
def test_first_jwt_authentication_realises_pending_enrollments(
    jwt_client, runs, pending, django_capture_on_commit_callbacks
):
    client = jwt_client("newbie", lms_user_id=777, email="NewBie@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/credentials/v1/learner_cert_status/",
            {"username": "newbie", "course_runs": [runs[0].key]},
            format="json",
        )
    assert response.status_code == 200
    assert _enrolled("newbie") == sorted(run.key for run in runs)
    enrollment = Enrollment.objects.get(learner__username="newbie", course_run=runs[0])
    assert (enrollment.mode, enrollment.license_uuid) == ("verified", pending[0].license_uuid)
    assert not PendingEnrollment.objects.exists()

    # Later requests find nothing left to do and change nothing.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        client.post(
            "/api/credentials/v1/learner_cert_status/",
            {"username": "newbie", "course_runs": [runs[0].key]},
            format="json",
        )
    assert callbacks == []
    assert Enrollment.objects.filter(learner__username="newbie").count() == 2


@pytest.mark.django_db
def test_enrollment_ingest_naming_the_email_realises_pending(
    jwt_client, runs, pending, django_capture_on_commit_callbacks
):
    client = jwt_client("lms_worker", roles=["credential_issuers"])
    other_run = CourseRunFactory()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/enrollments/v1/enrollments/",
            {"username": "newbie", "email": "newbie@example.com", "course_run_key": other_run.key, "mode": "audit"},
            format="json",
        )
    assert response.status_code == 201, response.json()
    assert _enrolled("newbie") == sorted([*(run.key for run in runs), other_run.key])
    assert not PendingEnrollment.objects.exists()


@pytest.mark.django_db
def test_realising_twice_creates_nothing_the_second_time(runs, pending):
    learner = UserFactory(username="newbie", email="newbie@example.com")
    assert len(pending_enrollments_realize(learner=learner)) == 2
    assert pending_enrollments_realize(learner=learner) == []
    assert Enrollment.objects.filter(learner=learner).count() == 2


@pytest.mark.django_db
def test_realising_keeps_an_existing_enrollment_and_reactivates_an_inactive_one(runs, pending):
    learner = UserFactory(username="newbie", email="newbie@example.com")
    EnrollmentFactory(learner=learner, course_run=runs[0], mode="audit", is_active=True)
    EnrollmentFactory(learner=learner, course_run=runs[1], mode="audit", is_active=False)
    pending_enrollments_realize(learner=learner)
    modes = dict(Enrollment.objects.filter(learner=learner).values_list("course_run_id", "mode"))
    assert modes == {runs[0].pk: "audit", runs[1].pk: "verified"}
    assert Enrollment.objects.filter(learner=learner, is_active=True).count() == 2


@pytest.mark.django_db
def test_an_email_held_by_several_learners_goes_to_the_lowest_primary_key(runs, pending):
    first = UserFactory(username="newbie", email="newbie@example.com")
    second = UserFactory(username="newbie2", email="Newbie@Example.com ")
    assert first.pk < second.pk
    # Passed highest key first: the order of the call must not decide.
    realised = pending_enrollments_realize_many(learners=[second, first])
    assert {enrollment.learner_id for enrollment in realised} == {first.pk}
    assert _enrolled("newbie") == sorted(run.key for run in runs)
    assert _enrolled("newbie2") == []
    assert not PendingEnrollment.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not IS_POSTGRES, reason="LOUD SKIP: concurrent arrivals need PostgreSQL row locks (DATABASE_URL=postgres://...)"
)
def test_two_concurrent_arrivals_realise_each_pending_enrollment_once(runs, pending):
    """Runs in CI on PostgreSQL only (marked ``postgres``: CI's MariaDB run deselects it)."""
    learner = UserFactory(username="newbie", email="newbie@example.com")
    realised, errors = run_together(*[lambda: len(pending_enrollments_realize(learner=learner))] * 2)
    assert errors == []
    assert sorted(realised) == [0, 2]
    assert Enrollment.objects.filter(learner=learner).count() == 2
    assert not PendingEnrollment.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not IS_POSTGRES, reason="LOUD SKIP: concurrent arrivals need PostgreSQL row locks (DATABASE_URL=postgres://...)"
)
def test_two_concurrent_ingest_arrivals_of_the_same_learner(runs, pending):
    """The real path: two ingest calls create the learner at once; each pending row is realised once.

    Runs in CI on PostgreSQL only (marked ``postgres``: CI's MariaDB run deselects it).
    """

    def arrive() -> None:
        learner_get_or_create(username="newbie", lms_user_id=777, email="newbie@example.com")

    _, errors = run_together(arrive, arrive)
    assert errors == []
    assert _enrolled("newbie") == sorted(run.key for run in runs)
    assert Enrollment.objects.count() == 2
    assert not PendingEnrollment.objects.exists()


@pytest.mark.django_db
def test_credential_ingest_naming_the_email_realises_pending(
    jwt_client, runs, pending, django_capture_on_commit_callbacks
):
    client = jwt_client("lms_worker", roles=["credential_issuers"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/credentials/v1/course_run_credentials/",
            {
                "username": "newbie",
                "lms_user_id": 777,
                "email": "NEWBIE@example.com",
                "course_run_key": runs[0].key,
                "status": "awarded",
                "type": "verified",
            },
            format="json",
        )
    assert response.status_code == 201, response.json()
    assert _enrolled("newbie") == sorted(run.key for run in runs)
    assert not PendingEnrollment.objects.exists()


@pytest.mark.django_db
def test_a_batch_of_arrivals_is_realised_by_one_task(runs, monkeypatch, django_capture_on_commit_callbacks):
    """``learners_get_or_create_many`` signals once: one task for every learner whose email was set."""
    from core.api import LearnerAccount, learners_get_or_create_many
    from enrollments.tasks import pending_enrollments_realize_task

    for email in ("newbie@example.com", "other@example.com"):
        PendingEnrollment.objects.create(email=email, course_run=runs[0], mode="audit")
    UserFactory(username="known", email="known@example.com", lms_user_id=500)
    queued: list[dict] = []
    real_delay = pending_enrollments_realize_task.delay

    def delay(**kwargs):
        queued.append(kwargs)
        return real_delay(**kwargs)

    monkeypatch.setattr(pending_enrollments_realize_task, "delay", delay)
    with django_capture_on_commit_callbacks(execute=True):
        newbie, other, _known = learners_get_or_create_many(
            accounts=[
                LearnerAccount("newbie", 777, "NewBie@example.com"),
                LearnerAccount("other", 778, "other@example.com"),
                LearnerAccount("known", 500, "known@example.com"),  # nothing changed: not an arrival
            ]
        )
    assert queued == [{"learner_ids": sorted([newbie.pk, other.pk])}]
    assert _enrolled("newbie") == [runs[0].key] and _enrolled("other") == [runs[0].key]
    assert not PendingEnrollment.objects.exists()


@pytest.mark.django_db
def test_one_arrival_queues_learner_ids_and_a_message_an_older_release_queued_still_runs(
    runs, pending, monkeypatch, django_capture_on_commit_callbacks
):
    from enrollments.tasks import pending_enrollments_realize_task

    queued: list[dict] = []
    monkeypatch.setattr(pending_enrollments_realize_task, "delay", lambda **kwargs: queued.append(kwargs))
    with django_capture_on_commit_callbacks(execute=True):
        learner = learner_get_or_create(username="newbie", lms_user_id=777, email="newbie@example.com")
    assert queued == [{"learner_ids": [learner.pk]}]
    assert PendingEnrollment.objects.count() == 2  # the task was only queued

    # A message queued before the task took learner_ids names one learner_id.
    assert pending_enrollments_realize_task.apply(kwargs={"learner_id": learner.pk}).get() == 2
    assert _enrolled("newbie") == sorted(run.key for run in runs)
    assert not PendingEnrollment.objects.exists()
