"""POST /api/enrollments/v1/bulk_enroll/ on the local backend: every rule of ADR 0007 (bulk enrollment)."""

import json
import smtplib
import uuid

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from enrollments.models import Enrollment, PendingEnrollment
from tests.factories import CourseRunFactory, EnrollmentFactory, UserFactory
from tests.queries import queries_but_history_inserts

pytestmark = pytest.mark.django_db
URL = "/api/enrollments/v1/bulk_enroll/"


@pytest.fixture(autouse=True)
def _local_backend(settings):
    settings.ENROLLMENT_BACKEND = "local"


@pytest.fixture
def admin(jwt_client):
    return jwt_client("license_manager", roles=["enrollment_admins"], lms_user_id=90001)


@pytest.fixture
def run():
    return CourseRunFactory(key="course-v1:edX+DemoX+1T2024", title="Demo")


@pytest.fixture
def run2():
    return CourseRunFactory(key="course-v1:edX+StatsX+3T2025", title="Stats")


def post(client, items, **extra):
    return client.post(URL, {"enrollments_info": items, **extra}, format="json")


# --- who may call ------------------------------------------------------------------------------


def test_anonymous_is_refused_with_401(api_client, run):
    response = post(api_client, [{"email": "a@example.com", "course_run_key": run.key}])
    assert response.status_code == 401
    assert response.json()["code"]
    assert not PendingEnrollment.objects.exists()


def test_other_roles_are_refused_with_403(jwt_client, run):
    client = jwt_client("issuer", roles=["credential_issuers"])
    response = post(client, [{"email": "a@example.com", "course_run_key": run.key}])
    assert response.status_code == 403
    assert not PendingEnrollment.objects.exists()


def test_staff_may_bulk_enroll(staff_client, run):
    learner = UserFactory(email="ana@example.com")
    response = post(staff_client, [{"email": "ana@example.com", "course_run_key": run.key}])
    assert response.status_code == 201
    assert Enrollment.objects.filter(learner=learner, course_run=run, is_active=True).exists()


# --- known learners ----------------------------------------------------------------------------


def test_known_learners_by_email_and_user_id_are_enrolled_201(admin, run, run2):
    ana = UserFactory(email="ana@example.com", lms_user_id=42)
    bob = UserFactory(email="bob@example.com", lms_user_id=43)
    license_uuid = str(uuid.uuid4())
    response = post(
        admin,
        [
            {"email": "ana@example.com", "course_run_key": run.key, "license_uuid": license_uuid},
            {"user_id": 43, "course_run_key": run2.key},
        ],
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body == {
        "successes": [
            {"email": "ana@example.com", "user_id": 42, "course_run_key": run.key, "created": True},
            {"email": "bob@example.com", "user_id": 43, "course_run_key": run2.key, "created": True},
        ],
        "pending": [],
        "failures": [],
    }
    ana_enrollment = Enrollment.objects.get(learner=ana, course_run=run)
    assert str(ana_enrollment.license_uuid) == license_uuid
    assert ana_enrollment.mode == "verified"  # licensed seats are verified
    assert Enrollment.objects.get(learner=bob, course_run=run2).mode == "audit"


def test_already_enrolled_is_a_success_without_duplicate_or_email(admin, run, django_capture_on_commit_callbacks):
    ana = UserFactory(email="ana@example.com")
    EnrollmentFactory(learner=ana, course_run=run)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(admin, [{"email": "ana@example.com", "course_run_key": run.key}], notify=True)
    assert response.status_code == 201
    assert response.json()["successes"][0]["created"] is False
    assert Enrollment.objects.filter(learner=ana, course_run=run).count() == 1
    assert mail.outbox == []


def test_inactive_enrollment_is_reactivated(admin, run):
    ana = UserFactory(email="ana@example.com")
    EnrollmentFactory(learner=ana, course_run=run, is_active=False)
    response = post(admin, [{"email": "ana@example.com", "course_run_key": run.key}])
    assert response.status_code == 201
    assert response.json()["successes"][0]["created"] is True
    assert Enrollment.objects.get(learner=ana, course_run=run).is_active is True


def test_license_uuid_is_added_to_an_existing_enrollment(admin, run):
    ana = UserFactory(email="ana@example.com")
    EnrollmentFactory(learner=ana, course_run=run, license_uuid=None)
    license_uuid = uuid.uuid4()
    post(admin, [{"email": "ana@example.com", "course_run_key": run.key, "license_uuid": str(license_uuid)}])
    assert Enrollment.objects.get(learner=ana, course_run=run).license_uuid == license_uuid


# --- unknown emails -> pending -----------------------------------------------------------------


def test_unknown_valid_email_is_pending_202(admin, run):
    license_uuid = uuid.uuid4()
    response = post(admin, [{"email": "new@example.com", "course_run_key": run.key, "license_uuid": str(license_uuid)}])
    assert response.status_code == 202, response.json()
    assert response.json() == {
        "successes": [],
        "pending": [{"email": "new@example.com", "course_run_key": run.key, "created": True}],
        "failures": [],
    }
    pending = PendingEnrollment.objects.get()
    assert (pending.email, pending.course_run, pending.license_uuid) == ("new@example.com", run, license_uuid)
    assert not Enrollment.objects.exists()


def test_emails_are_trimmed_and_lower_cased(admin, run):
    ana = UserFactory(email="Ana@Example.com")
    response = post(
        admin,
        [
            {"email": "  ANA@example.COM ", "course_run_key": run.key},
            {"email": " New@Example.com", "course_run_key": run.key},
        ],
    )
    assert response.status_code == 202
    body = response.json()
    assert body["successes"][0]["email"] == "ana@example.com"
    assert body["pending"][0]["email"] == "new@example.com"
    assert Enrollment.objects.filter(learner=ana).count() == 1
    assert PendingEnrollment.objects.get().email == "new@example.com"


def test_the_same_pair_twice_is_handled_once(admin, run, django_capture_on_commit_callbacks):
    UserFactory(email="ana@example.com")
    items = [
        {"email": "ana@example.com", "course_run_key": run.key},
        {"email": "ANA@example.com ", "course_run_key": run.key},
        {"email": "new@example.com", "course_run_key": run.key},
        {"email": "new@example.com", "course_run_key": run.key},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = post(admin, items, notify=True)
    body = response.json()
    assert len(body["successes"]) == 1 and len(body["pending"]) == 1
    assert Enrollment.objects.count() == 1 and PendingEnrollment.objects.count() == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.com", "new@example.com"]


# --- failures with reasons, best effort --------------------------------------------------------


def test_failures_have_reasons_and_the_rest_is_committed_409(admin, run, run2):
    ana = UserFactory(email="ana@example.com", lms_user_id=42)
    UserFactory(email="bob@example.com", lms_user_id=43)
    removed = CourseRunFactory(key="course-v1:edX+OldX+1T2020", removed_at=timezone.now())
    response = post(
        admin,
        [
            {"email": "ana@example.com", "course_run_key": run.key},
            {"email": "not-an-email", "course_run_key": run.key},
            {"user_id": 999, "course_run_key": run.key},
            {"email": "ana@example.com", "course_run_key": "course-v1:edX+Nope+1T2024"},
            {"email": "ana@example.com", "course_run_key": removed.key},
            {"email": "ana@example.com", "course_run_key": "not a run key"},
            {"email": "bob@example.com", "user_id": 42, "course_run_key": run.key},
            {"email": "pending@example.com", "course_run_key": run2.key},
        ],
    )
    assert response.status_code == 409, response.json()
    body = response.json()
    assert body["code"] == "bulk_enrollment_failures"
    assert [(s["email"], s["course_run_key"]) for s in body["successes"]] == [("ana@example.com", run.key)]
    assert [p["email"] for p in body["pending"]] == ["pending@example.com"]
    codes = [(f["email"], f["user_id"], f["code"]) for f in body["failures"]]
    assert codes == [
        ("not-an-email", None, "invalid_email"),
        (None, 999, "unknown_user_id"),
        ("ana@example.com", None, "unknown_course_run"),
        ("ana@example.com", None, "course_run_removed"),
        ("ana@example.com", None, "invalid_course_run_key"),
        ("bob@example.com", 42, "learner_mismatch"),
    ]
    assert all(f["reason"] for f in body["failures"])
    # The successes and pending of the same call are committed.
    assert Enrollment.objects.filter(learner=ana, course_run=run, is_active=True).exists()
    assert PendingEnrollment.objects.filter(email="pending@example.com", course_run=run2).exists()
    assert Enrollment.objects.count() == 1


def test_email_and_user_id_of_the_same_learner_is_fine(admin, run):
    UserFactory(email="ana@example.com", lms_user_id=42)
    response = post(admin, [{"email": "ana@example.com", "user_id": 42, "course_run_key": run.key}])
    assert response.status_code == 201


def test_email_shared_by_two_learners_is_not_guessed(admin, run):
    UserFactory(email="shared@example.com")
    UserFactory(email="SHARED@example.com")
    response = post(admin, [{"email": "shared@example.com", "course_run_key": run.key}])
    assert response.status_code == 409
    assert response.json()["failures"][0]["code"] == "ambiguous_email"
    assert not Enrollment.objects.exists()


# --- replay ------------------------------------------------------------------------------------


def test_replaying_the_same_request_reports_created_false_and_sends_no_email(
    admin, run, run2, django_capture_on_commit_callbacks
):
    UserFactory(email="ana@example.com", lms_user_id=42)
    items = [
        {"email": "ana@example.com", "course_run_key": run.key},
        {"user_id": 42, "course_run_key": run2.key},
        {"email": "new@example.com", "course_run_key": run.key},
        {"email": "bad@", "course_run_key": run.key},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        first = post(admin, items, notify=True)
    assert first.status_code == 409
    assert len(mail.outbox) == 2  # ana (one email for both runs) and new@ (pending)
    with django_capture_on_commit_callbacks(execute=True):
        second = post(admin, items, notify=True)
    assert second.status_code == 409
    one, two = first.json(), second.json()
    assert [s["created"] for s in one["successes"]] == [True, True]
    assert [s["created"] for s in two["successes"]] == [False, False]
    assert [p["created"] for p in two["pending"]] == [False]
    assert [{**s, "created": None} for s in one["successes"]] == [{**s, "created": None} for s in two["successes"]]
    assert two["failures"] == one["failures"]
    assert Enrollment.objects.count() == 2 and PendingEnrollment.objects.count() == 1
    assert len(mail.outbox) == 2


# --- notify ------------------------------------------------------------------------------------


def test_notify_sends_one_email_per_new_learner_after_commit(admin, run, run2, django_capture_on_commit_callbacks):
    UserFactory(email="ana@example.com")
    items = [
        {"email": "ana@example.com", "course_run_key": run.key},
        {"email": "ana@example.com", "course_run_key": run2.key},
        {"email": "new@example.com", "course_run_key": run.key},
    ]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        post(admin, items, notify=True)
    assert mail.outbox == []  # nothing sent before the commit
    for callback in callbacks:
        callback()
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.com", "new@example.com"]
    ana_mail = next(m for m in mail.outbox if m.to == ["ana@example.com"])
    assert run.key in ana_mail.body and run2.key in ana_mail.body


def test_without_notify_no_email(admin, run, django_capture_on_commit_callbacks):
    UserFactory(email="ana@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        post(admin, [{"email": "ana@example.com", "course_run_key": run.key}])
    assert mail.outbox == []


# --- malformed input -> 400, nothing enrolled --------------------------------------------------


GOOD = {"email": "ana@example.com", "course_run_key": "course-v1:edX+DemoX+1T2024"}


@pytest.mark.parametrize(
    ("body", "error_path"),
    [
        ({}, "enrollments_info"),
        ({"enrollments_info": "ana@example.com"}, "enrollments_info"),
        ({"enrollments_info": []}, "enrollments_info"),
        ({"enrollments_info": [GOOD, {"course_run_key": GOOD["course_run_key"]}]}, "enrollments_info.1"),
        ({"enrollments_info": [GOOD, {"email": "ana@example.com"}]}, "enrollments_info.1.course_run_key"),
        ({"enrollments_info": [GOOD, {"email": 7, "course_run_key": "K"}]}, "enrollments_info.1.email"),
        ({"enrollments_info": [GOOD, {"user_id": "42", "course_run_key": "K"}]}, "enrollments_info.1.user_id"),
        (
            {"enrollments_info": [GOOD, {"email": "a@example.com", "course_run_key": "K", "license_uuid": "x"}]},
            "enrollments_info.1.license_uuid",
        ),
        ({"enrollments_info": [GOOD, "ana@example.com"]}, "enrollments_info.1"),
        ({"enrollments_info": [GOOD], "notify": "maybe"}, "notify"),
    ],
)
def test_malformed_input_is_400_naming_the_field_and_enrolls_nothing(admin, run, body, error_path):
    UserFactory(email="ana@example.com")
    response = admin.post(URL, body, format="json")
    assert response.status_code == 400, response.json()
    errors = response.json()["errors"]
    assert any(path == error_path or path.startswith(error_path + ".") for path in errors), errors
    # Not even the valid pair next to the broken one is enrolled.
    assert not Enrollment.objects.exists() and not PendingEnrollment.objects.exists()


def test_a_body_that_is_not_an_object_is_400(admin):
    response = admin.post(URL, [{"email": "a@example.com"}], format="json")
    assert response.status_code == 400


def test_more_than_10000_pairs_is_400_naming_the_limit(admin, run):
    items = [{"email": f"l{i}@example.com", "course_run_key": run.key} for i in range(10_001)]
    response = post(admin, items)
    assert response.status_code == 400
    body = response.json()
    assert "10,000" in body["detail"] and any(path.startswith("enrollments_info") for path in body["errors"])
    assert not PendingEnrollment.objects.exists()


def test_10000_pairs_are_accepted(admin, run):
    items = [{"email": f"l{i}@example.com", "course_run_key": run.key} for i in range(10_000)]
    response = post(admin, items)
    assert response.status_code == 202
    assert PendingEnrollment.objects.count() == 10_000


# --- queries grow with runs and learners, not pairs ---------------------------------------------


def test_query_count_does_not_grow_with_pairs(admin):
    runs = [CourseRunFactory() for _ in range(10)]
    known = [UserFactory(email=f"known{i}@example.com") for i in range(50)]
    items = [{"email": u.email, "course_run_key": r.key} for u in known for r in runs]
    items += [{"email": f"unknown{i}@example.com", "course_run_key": r.key} for i in range(50) for r in runs]
    post(admin, [{"email": "warm@example.com", "course_run_key": runs[0].key}])  # authenticate once
    # Authentication 7 (one: pending enrollments of the token's email, ADR 0007), reads 3, the run
    # lock 1, writes in batches (SQLite: 999 bound parameters each; enrollments carry
    # enterprise_customer_uuid and the record source, time and author: more columns, more batches).
    with CaptureQueriesContext(connection) as queries:
        response = post(admin, items)
    # History: the new pending rows are read back once (inserted with ignore_conflicts, no ids).
    assert queries_but_history_inserts(queries.captured_queries) <= 25
    assert response.status_code == 202
    assert Enrollment.objects.count() == 500 and PendingEnrollment.objects.count() == 501


def test_same_learners_and_runs_cost_the_same_queries_for_10x_the_pairs(admin):
    post(admin, [{"email": "warm@example.com", "course_run_key": CourseRunFactory().key}])  # authenticate once

    def queries_for(grid: bool, tag: str) -> int:
        runs = [CourseRunFactory() for _ in range(10)]
        # 6 known learners: their 60 enrollment rows fit one SQLite INSERT (999 bound parameters).
        emails = [UserFactory(email=f"{tag}-known{i}@example.com").email for i in range(6)]
        emails += [f"{tag}-unknown{i}@example.com" for i in range(10)]
        pairs = [(e, r) for e in emails for r in runs] if grid else [(e, runs[i % 10]) for i, e in enumerate(emails)]
        with CaptureQueriesContext(connection) as queries:
            response = post(admin, [{"email": e, "course_run_key": r.key} for e, r in pairs])
        assert response.status_code == 202
        assert len(response.json()["successes"]) + len(response.json()["pending"]) == len(pairs)
        return queries_but_history_inserts(queries.captured_queries)

    # 16 learners x 10 runs both times: 16 pairs, then 160.
    assert queries_for(grid=False, tag="few") == queries_for(grid=True, tag="all")


def test_user_id_with_an_email_nobody_has_enrolls_the_user_id_learner(admin, run):
    bob = UserFactory(email="bob@example.com", lms_user_id=43)
    response = post(admin, [{"email": "bob.new@example.com", "user_id": 43, "course_run_key": run.key}])
    assert response.status_code == 201
    assert Enrollment.objects.filter(learner=bob, course_run=run).exists()
    assert not PendingEnrollment.objects.exists()


def test_a_deactivated_learner_is_a_failure(admin, run):
    UserFactory(email="gone@example.com", is_active=False)
    response = post(admin, [{"email": "gone@example.com", "course_run_key": run.key}])
    assert response.status_code == 409
    assert response.json()["failures"][0]["code"] == "inactive_learner"
    assert not Enrollment.objects.exists()


def test_an_email_the_mail_server_refuses_is_retried_alone(admin, run, settings, django_capture_on_commit_callbacks):
    """A transient SMTP failure for one learner is retried without emailing the others twice."""
    from unittest import mock

    from django.core.mail.backends.locmem import EmailBackend

    UserFactory(email="ana@example.com")
    attempts: list[str] = []
    real_send = EmailBackend.send_messages

    def flaky_send(self, messages):
        attempts.extend(m.to[0] for m in messages)
        if messages[0].to == ["new@example.com"] and attempts.count("new@example.com") == 1:
            raise smtplib.SMTPServerDisconnected("try again")
        return real_send(self, messages)

    items = [
        {"email": "ana@example.com", "course_run_key": run.key},
        {"email": "new@example.com", "course_run_key": run.key},
    ]
    with mock.patch.object(EmailBackend, "send_messages", flaky_send), django_capture_on_commit_callbacks(execute=True):
        post(admin, items, notify=True)
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@example.com", "new@example.com"]
    assert sorted(attempts) == ["ana@example.com", "new@example.com", "new@example.com"]


def test_with_a_broker_only_the_refused_emails_are_requeued():
    from unittest import mock

    from celery.exceptions import Retry

    from enrollments.tasks import bulk_enrollment_notify_task

    notifications = [
        {"email": "ok@example.com", "course_runs": [["course-v1:edX+DemoX+1T2024", "Demo"]], "pending": False},
        {"email": "refused@example.com", "course_runs": [["course-v1:edX+DemoX+1T2024", "Demo"]], "pending": True},
    ]

    def refuse_one(self, messages):
        if messages[0].to == ["refused@example.com"]:
            raise smtplib.SMTPRecipientsRefused({"refused@example.com": (450, b"busy")})
        mail.outbox.extend(messages)
        return len(messages)

    with (
        mock.patch("django.core.mail.backends.locmem.EmailBackend.send_messages", refuse_one),
        mock.patch.object(bulk_enrollment_notify_task, "retry", side_effect=Retry()) as retry,
        pytest.raises(Retry),
    ):
        bulk_enrollment_notify_task.run(notifications=notifications)
    assert [m.to[0] for m in mail.outbox] == ["ok@example.com"]
    requeued = json.loads(json.dumps(retry.call_args.kwargs["kwargs"]))  # as the broker would carry it
    assert requeued == {"notifications": [notifications[1]]}


# --- limits of what a pair may say -----------------------------------------------------------------


def test_a_user_id_beyond_64_bits_is_a_400_naming_the_item(admin, run):
    response = post(
        admin,
        [{"email": "a@example.com", "course_run_key": run.key}, {"user_id": 2**63, "course_run_key": run.key}],
    )
    assert response.status_code == 400, response.json()
    assert list(response.json()["errors"]) == ["enrollments_info.1.user_id"]
    assert not PendingEnrollment.objects.exists()


def test_the_largest_64_bit_user_id_is_an_unknown_user_id_failure(admin, run):
    response = post(admin, [{"user_id": 2**63 - 1, "course_run_key": run.key}])
    assert response.status_code == 409, response.json()
    assert [f["code"] for f in response.json()["failures"]] == ["unknown_user_id"]


LONG_EMAIL = "a" * 60 + "@" + ".".join(["b" * 60] * 4) + ".com"  # 308 characters, valid syntax


def test_an_email_longer_than_254_characters_is_an_invalid_email_failure(admin, run):
    assert len(LONG_EMAIL) == 308
    response = post(
        admin,
        [{"email": LONG_EMAIL, "course_run_key": run.key}, {"email": "new@example.com", "course_run_key": run.key}],
    )
    assert response.status_code == 409, response.json()
    body = response.json()
    assert [(f["code"], f["email"]) for f in body["failures"]] == [("invalid_email", LONG_EMAIL)]
    assert "254 characters" in body["failures"][0]["reason"]
    assert list(PendingEnrollment.objects.values_list("email", flat=True)) == ["new@example.com"]


# --- runs that take no enrollments --------------------------------------------------------------


def test_a_run_that_has_ended_is_a_failure_and_one_still_running_is_enrolled(admin):
    ended = CourseRunFactory(key="course-v1:edX+OldX+2T2019", end=timezone.now() - timezone.timedelta(days=400))
    running = CourseRunFactory(key="course-v1:edX+NowX+1T2026", end=timezone.now() + timezone.timedelta(days=30))
    UserFactory(email="ana@example.com")
    response = post(
        admin,
        [
            {"email": "ana@example.com", "course_run_key": ended.key},
            {"email": "new@example.com", "course_run_key": ended.key},
            {"email": "ana@example.com", "course_run_key": running.key},
        ],
    )
    assert response.status_code == 409, response.json()
    body = response.json()
    assert [(f["email"], f["code"]) for f in body["failures"]] == [
        ("ana@example.com", "course_run_ended"),
        ("new@example.com", "course_run_ended"),
    ]
    assert f"ended on {ended.end:%Y-%m-%d}" in body["failures"][0]["reason"]
    assert [s["course_run_key"] for s in body["successes"]] == [running.key]
    assert list(Enrollment.objects.values_list("course_run__key", flat=True)) == [running.key]
    assert not PendingEnrollment.objects.exists()


# --- one learner named several ways ---------------------------------------------------------------


def test_one_learner_named_by_email_by_user_id_and_by_both_is_handled_and_reported_once(
    admin, run, django_capture_on_commit_callbacks
):
    from enrollments.data import BulkEnrollmentItem
    from enrollments.services import bulk_enroll

    UserFactory(email="ana@example.com", lms_user_id=42)
    items = [
        {"email": "ana@example.com", "course_run_key": run.key},
        {"user_id": 42, "course_run_key": run.key},
        {"email": "ana@example.com", "user_id": 42, "course_run_key": run.key},
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = post(admin, items, notify=True)
    assert response.status_code == 201, response.json()
    assert response.json()["successes"] == [
        {"email": "ana@example.com", "user_id": 42, "course_run_key": run.key, "created": True}
    ]
    assert Enrollment.objects.count() == 1
    assert [m.to for m in mail.outbox] == [["ana@example.com"]]
    # Every request item still has its outcome (the CSV command reports per row): the shared one.
    result = bulk_enroll(items=[BulkEnrollmentItem(**item) for item in items])
    assert len(result.successes) == 1
    assert result.item_outcomes == [result.successes[0]] * 3


# --- a learner who appears while a request runs -----------------------------------------------------


def test_a_learner_appearing_after_the_lookup_gets_the_new_pending_rows_realised(
    admin, run, monkeypatch, django_capture_on_commit_callbacks
):
    """The learner registers after this request looked learners up; their own realisation ran before the
    pending rows existed, so found nothing. The rows must not stay pending for ever."""
    from enrollments.backends import local
    from enrollments.services import pending_enrollments_realize

    real_lookup = local.learners_by_email
    arrivals = []

    def lookup_then_the_learner_arrives(*, emails):
        found = real_lookup(emails=emails)
        learner = UserFactory(username="newbie", email="newbie@example.com")
        arrivals.append(pending_enrollments_realize(learner=learner))
        return found

    monkeypatch.setattr(local, "learners_by_email", lookup_then_the_learner_arrives)
    with django_capture_on_commit_callbacks(execute=True):
        response = post(admin, [{"email": "newbie@example.com", "course_run_key": run.key}])
    assert response.status_code == 202, response.json()
    assert response.json()["pending"] == [{"email": "newbie@example.com", "course_run_key": run.key, "created": True}]
    assert arrivals == [[]]  # the arrival itself found nothing to realise
    assert list(Enrollment.objects.values_list("learner__username", "course_run__key", "is_active")) == [
        ("newbie", run.key, True)
    ]
    assert not PendingEnrollment.objects.exists()


# --- misconfiguration -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("backend", "lms_url", "named"),
    [("lmss", "http://lms.test", "ENROLLMENT_BACKEND"), ("lms", None, "LMS_URL")],
)
def test_a_misconfigured_backend_is_a_503_naming_the_setting_and_writes_nothing(
    admin, run, settings, backend, lms_url, named
):
    settings.ENROLLMENT_BACKEND = backend
    settings.LMS_URL = lms_url
    settings.OAUTH2_PROVIDER_URL, settings.OAUTH2_CLIENT_ID, settings.OAUTH2_CLIENT_SECRET = "http://lms.test", "a", "b"
    response = post(admin, [{"email": "new@example.com", "course_run_key": run.key}])
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "enrollment-backend-not-configured"
    assert named in body["detail"]
    assert not PendingEnrollment.objects.exists()
