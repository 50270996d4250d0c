"""The ``lms`` backend against a fake LMS at the HTTP boundary (``responses``), answering as docs/lms-apis.rst says."""

import json
import threading
import time

import pytest
import requests
import responses
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from edx_django_utils.cache import RequestCache
from responses import matchers

from enrollments.backends import enrollment_backend_get
from enrollments.backends import lms as lms_backend
from enrollments.exceptions import UpstreamUnavailable
from enrollments.models import Enrollment, PendingEnrollment
from tests.factories import CourseRunFactory, EnrollmentFactory, UserFactory
from tests.queries import queries_but_history_inserts

pytestmark = pytest.mark.django_db
LMS = "http://lms.test"
TOKEN_URL = f"{LMS}/oauth2/access_token"
SEARCH_URL = f"{LMS}/api/user/v1/accounts/search_emails"
ACCOUNTS_URL = f"{LMS}/api/user/v1/accounts"
ENROLL_URL = f"{LMS}/api/enrollment/v1/enrollment"
ALLOWED_URL = f"{LMS}/api/enrollment/v1/enrollment_allowed/"
BULK_URL = "/api/enrollments/v1/bulk_enroll/"
RUN = "course-v1:edX+DemoX+1T2024"
RUN2 = "course-v1:edX+StatsX+3T2025"


@pytest.fixture(autouse=True)
def lms_settings(settings, monkeypatch):
    settings.ENROLLMENT_BACKEND = "lms"
    settings.LMS_URL = LMS
    settings.OAUTH2_PROVIDER_URL = LMS
    settings.OAUTH2_CLIENT_ID = "credentials-status"
    settings.OAUTH2_CLIENT_SECRET = "s3cret"
    monkeypatch.setattr(lms_backend, "DEFAULT_BACKOFF_SECONDS", 0)
    # The OAuth2 token is cached across calls (TieredCache); each test starts without one.
    cache.clear()
    RequestCache.clear_all_namespaces()
    yield
    cache.clear()
    RequestCache.clear_all_namespaces()


@pytest.fixture
def fake_lms():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(responses.POST, TOKEN_URL, json={"access_token": "lms-jwt", "expires_in": 3600, "token_type": "JWT"})
        yield rsps


@pytest.fixture
def admin(jwt_client):
    return jwt_client("license_manager", roles=["enrollment_admins"], lms_user_id=90001)


def enrollment_answer(user, course_id, mode="verified", is_active=True):
    return {
        "created": "2024-03-01T10:00:00Z",
        "mode": mode,
        "is_active": is_active,
        "user": user,
        "course_details": {"course_id": course_id, "course_name": "Demo", "invite_only": False},
    }


def enroll_callback(known_users, mode="verified"):
    def callback(request):
        body = json.loads(request.body)
        if body["user"] not in known_users:
            return 406, {}, json.dumps({"message": f"The user {body['user']} does not exist."})
        return 200, {}, json.dumps(enrollment_answer(body["user"], body["course_details"]["course_id"], mode))

    return callback


def search_callback(accounts):
    """search_emails answering only for the emails asked about, as the LMS does."""

    def callback(request):
        wanted = set(json.loads(request.body)["emails"])
        return 200, {}, json.dumps([account for account in accounts if account["email"] in wanted])

    return callback


def calls_to(rsps, url, method="POST"):
    return [call for call in rsps.calls if call.request.url.split("?")[0] == url and call.request.method == method]


def post(client, items, **extra):
    return client.post(BULK_URL, {"enrollments_info": items, **extra}, format="json")


def test_known_learner_is_enrolled_at_the_lms_and_mirrored_locally(admin, fake_lms):
    CourseRunFactory(key=RUN)
    fake_lms.add(responses.POST, SEARCH_URL, json=[{"username": "ana", "email": "ana@example.com", "id": 42}])
    fake_lms.add_callback(responses.POST, ENROLL_URL, callback=enroll_callback({"ana"}, mode="verified"))

    response = post(admin, [{"email": "Ana@Example.com", "course_run_key": RUN, "mode": "audit"}])

    assert response.status_code == 201, response.json()
    assert response.json()["successes"] == [
        {"email": "ana@example.com", "user_id": 42, "course_run_key": RUN, "created": True}
    ]
    # The OAuth2 client-credentials grant, then the JWT on every LMS call.
    token_call = calls_to(fake_lms, TOKEN_URL)[0]
    assert "grant_type=client_credentials" in token_call.request.body
    assert "client_id=credentials-status" in token_call.request.body
    enroll_call = calls_to(fake_lms, ENROLL_URL)[0]
    assert enroll_call.request.headers["Authorization"] == "JWT lms-jwt"
    assert json.loads(enroll_call.request.body) == {
        "user": "ana",
        "mode": "audit",
        "is_active": True,
        "course_details": {"course_id": RUN},
        "force_enrollment": False,
    }
    # The local row mirrors what the LMS answered (it enrolled her as verified), the learner is recorded.
    enrollment = Enrollment.objects.get(course_run__key=RUN)
    assert (enrollment.learner.username, enrollment.learner.lms_user_id) == ("ana", 42)
    assert (enrollment.mode, enrollment.is_active) == ("verified", True)


def test_replay_with_the_lms_backend_is_created_false_without_a_second_email(
    admin, fake_lms, django_capture_on_commit_callbacks
):
    CourseRunFactory(key=RUN)
    fake_lms.add(responses.POST, SEARCH_URL, json=[{"username": "ana", "email": "ana@example.com", "id": 42}])
    fake_lms.add_callback(responses.POST, ENROLL_URL, callback=enroll_callback({"ana"}))
    items = [{"email": "ana@example.com", "course_run_key": RUN}]
    with django_capture_on_commit_callbacks(execute=True):
        first = post(admin, items, notify=True)
    with django_capture_on_commit_callbacks(execute=True):
        second = post(admin, items, notify=True)
    assert [first.status_code, second.status_code] == [201, 201]
    assert first.json()["successes"][0]["created"] is True
    assert second.json()["successes"][0]["created"] is False
    assert len(mail.outbox) == 1
    assert Enrollment.objects.count() == 1


def test_unknown_email_404_becomes_pending_through_enrollment_allowed(admin, fake_lms):
    """An LMS without the batch endpoint: one GET per email; 404 -> enrollment_allowed -> pending."""
    fake_lms.add(responses.POST, SEARCH_URL, status=404)
    fake_lms.add(responses.GET, ACCOUNTS_URL, status=404, body=b"")
    fake_lms.add(
        responses.POST,
        ALLOWED_URL,
        status=201,
        json={"email": "new@example.com", "course_id": RUN, "auto_enroll": True},
        match=[matchers.json_params_matcher({"email": "new@example.com", "course_id": RUN, "auto_enroll": True})],
    )

    response = post(admin, [{"email": "new@example.com", "course_run_key": RUN}])

    assert response.status_code == 202, response.json()
    assert response.json()["pending"] == [{"email": "new@example.com", "course_run_key": RUN, "created": True}]
    assert calls_to(fake_lms, ACCOUNTS_URL, "GET")[0].request.params == {"email": "new@example.com"}
    # The run the LMS accepted is now in the local catalog, with the mirrored pending row.
    assert PendingEnrollment.objects.get().course_run.key == RUN
    assert not calls_to(fake_lms, ENROLL_URL)


def test_retired_email_404_with_error_body_is_pending_too(admin, fake_lms):
    fake_lms.add(responses.POST, SEARCH_URL, status=404)
    fake_lms.add(responses.GET, ACCOUNTS_URL, status=404, json={"error_msg": "retired"})
    fake_lms.add(responses.POST, ALLOWED_URL, status=201, json={})
    assert post(admin, [{"email": "gone@example.com", "course_run_key": RUN}]).status_code == 202


def test_duplicate_enrollment_allowed_409_is_pending_not_new(admin, fake_lms, django_capture_on_commit_callbacks):
    """A replay: the LMS and this service both have the allowance; no second email."""
    PendingEnrollment.objects.create(email="new@example.com", course_run=CourseRunFactory(key=RUN), mode="audit")
    fake_lms.add(responses.POST, SEARCH_URL, json=[])
    fake_lms.add(responses.POST, ALLOWED_URL, status=409, json={"message": "already exists"})
    with django_capture_on_commit_callbacks(execute=True):
        response = post(admin, [{"email": "new@example.com", "course_run_key": RUN}], notify=True)
    assert response.status_code == 202
    assert response.json()["pending"] == [{"email": "new@example.com", "course_run_key": RUN, "created": False}]
    assert PendingEnrollment.objects.filter(email="new@example.com").count() == 1
    assert mail.outbox == []  # nothing new to tell


def test_a_timeout_then_409_is_a_new_pending_pair_and_is_notified(admin, fake_lms, django_capture_on_commit_callbacks):
    """The first attempt's write reached the LMS but its answer did not; the retry meets it as a 409."""
    fake_lms.add(responses.POST, SEARCH_URL, json=[])
    fake_lms.add(responses.POST, ALLOWED_URL, body=requests.exceptions.ReadTimeout("read timed out"))
    fake_lms.add(responses.POST, ALLOWED_URL, status=409, json={"message": "already exists"})
    with django_capture_on_commit_callbacks(execute=True):
        response = post(admin, [{"email": "new@example.com", "course_run_key": RUN}], notify=True)
    assert response.status_code == 202, response.json()
    assert response.json()["pending"] == [{"email": "new@example.com", "course_run_key": RUN, "created": True}]
    assert len(calls_to(fake_lms, ALLOWED_URL)) == 2
    assert PendingEnrollment.objects.get().email == "new@example.com"
    assert [m.to for m in mail.outbox] == [["new@example.com"]]


def test_a_201_for_a_pair_already_pending_here_sends_no_second_email(
    admin, fake_lms, django_capture_on_commit_callbacks
):
    """The LMS lost (or never had) the allowance this service recorded: re-created there, not new here."""
    pending = PendingEnrollment.objects.create(
        email="new@example.com", course_run=CourseRunFactory(key=RUN), mode="audit"
    )
    fake_lms.add(responses.POST, SEARCH_URL, json=[])
    fake_lms.add(responses.POST, ALLOWED_URL, status=201, json={"email": "new@example.com", "course_id": RUN})
    with django_capture_on_commit_callbacks(execute=True):
        response = post(admin, [{"email": "new@example.com", "course_run_key": RUN}], notify=True)
    assert response.status_code == 202
    assert response.json()["pending"] == [{"email": "new@example.com", "course_run_key": RUN, "created": False}]
    assert list(PendingEnrollment.objects.values_list("pk", flat=True)) == [pending.pk]
    assert mail.outbox == []


def test_406_400_403_are_failures_with_reasons_and_the_success_is_committed(admin, fake_lms):
    fake_lms.add(
        responses.POST,
        SEARCH_URL,
        json=[
            {"username": "ana", "email": "ana@example.com", "id": 42},
            {"username": "ghost", "email": "ghost@example.com", "id": 43},
        ],
    )

    def callback(request):
        body = json.loads(request.body)
        course_id = body["course_details"]["course_id"]
        if body["user"] == "ghost":
            return 406, {}, json.dumps({"message": "The user ghost does not exist."})
        if course_id == "course-v1:edX+Bad+1T2024":
            return 400, {}, json.dumps({"message": "No course 'course-v1:edX+Bad+1T2024' found for enrollment"})
        if course_id == "course-v1:edX+Invite+1T2024":
            return 403, {}, json.dumps({"message": "Course is invite only"})
        return 200, {}, json.dumps(enrollment_answer(body["user"], course_id))

    fake_lms.add_callback(responses.POST, ENROLL_URL, callback=callback)
    response = post(
        admin,
        [
            {"email": "ana@example.com", "course_run_key": RUN},
            {"email": "ghost@example.com", "course_run_key": RUN},
            {"email": "ana@example.com", "course_run_key": "course-v1:edX+Bad+1T2024"},
            {"email": "ana@example.com", "course_run_key": "course-v1:edX+Invite+1T2024"},
        ],
    )
    assert response.status_code == 409, response.json()
    body = response.json()
    assert [s["course_run_key"] for s in body["successes"]] == [RUN]
    failures = {(f["email"], f["course_run_key"]): f for f in body["failures"]}
    assert failures[("ghost@example.com", RUN)]["code"] == "lms_unknown_user"
    assert "does not exist" in failures[("ghost@example.com", RUN)]["reason"]
    bad = failures[("ana@example.com", "course-v1:edX+Bad+1T2024")]
    assert bad["code"] == "lms_refused" and "No course" in bad["reason"]
    invite = failures[("ana@example.com", "course-v1:edX+Invite+1T2024")]
    assert invite["code"] == "lms_refused" and "invite only" in invite["reason"]
    # 4xx are never retried: one call per pair.
    assert len(calls_to(fake_lms, ENROLL_URL)) == 4
    assert list(Enrollment.objects.values_list("learner__username", "course_run__key")) == [("ana", RUN)]


@pytest.mark.parametrize("transient", [429, 503])
def test_429_and_503_are_retried_until_the_lms_answers(admin, fake_lms, transient):
    fake_lms.add(responses.POST, SEARCH_URL, json=[{"username": "ana", "email": "ana@example.com", "id": 42}])
    fake_lms.add(responses.POST, ENROLL_URL, status=transient, json={"detail": "slow down"})
    fake_lms.add(responses.POST, ENROLL_URL, json=enrollment_answer("ana", RUN))
    response = post(admin, [{"email": "ana@example.com", "course_run_key": RUN}])
    assert response.status_code == 201, response.json()
    assert len(calls_to(fake_lms, ENROLL_URL)) == 2
    assert Enrollment.objects.filter(learner__username="ana", is_active=True).exists()


def test_timeouts_are_retried_then_reported_as_failure_never_as_success(admin, fake_lms):
    fake_lms.add(responses.POST, SEARCH_URL, json=[{"username": "ana", "email": "ana@example.com", "id": 42}])
    fake_lms.add(responses.POST, ENROLL_URL, body=requests.exceptions.ReadTimeout("read timed out"))
    response = post(admin, [{"email": "ana@example.com", "course_run_key": RUN}])
    assert response.status_code == 409
    failure = response.json()["failures"][0]
    assert failure["code"] == "lms_unavailable"
    assert "3 attempts" in failure["reason"] and "not enrolled" in failure["reason"]
    assert response.json()["successes"] == []
    assert len(calls_to(fake_lms, ENROLL_URL)) == 3
    assert not Enrollment.objects.exists()


def test_backoff_grows_between_retries(fake_lms):
    fake_lms.add(responses.POST, ENROLL_URL, status=503)
    sleeps: list[float] = []
    backend = enrollment_backend_get()
    backend.backoff_seconds, backend.sleep = 1.0, sleeps.append
    with pytest.raises(UpstreamUnavailable):
        backend._call(
            backend._new_guard(), backend.client.enrollment_set, username="ana", course_run_key=RUN, mode="audit"
        )
    assert len(sleeps) == 2 and 0.5 <= sleeps[0] <= 1.0 and 1.0 <= sleeps[1] <= 2.0


def test_token_refused_fails_every_pair_without_calling_the_apis(admin):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        rsps.add(responses.POST, TOKEN_URL, status=401, json={"error": "invalid_client"})
        response = post(admin, [{"email": "ana@example.com", "course_run_key": RUN}])
        assert response.status_code == 409
        assert response.json()["failures"][0]["code"] == "lms_unavailable"
        assert "credentials" in response.json()["failures"][0]["reason"]
        assert len(rsps.calls) == 1


def test_user_id_and_email_of_different_lms_learners_fail(admin, fake_lms):
    UserFactory(username="bob", email="bob@example.com", lms_user_id=43)
    fake_lms.add(responses.POST, SEARCH_URL, json=[{"username": "ana", "email": "ana@example.com", "id": 42}])
    response = post(admin, [{"email": "ana@example.com", "user_id": 43, "course_run_key": RUN}])
    assert response.status_code == 409
    assert response.json()["failures"][0]["code"] == "learner_mismatch"
    assert not calls_to(fake_lms, ENROLL_URL)


def test_user_id_only_is_enrolled_by_the_local_username(admin, fake_lms):
    UserFactory(username="bob", email="bob@example.com", lms_user_id=43)
    fake_lms.add_callback(responses.POST, ENROLL_URL, callback=enroll_callback({"bob"}))
    response = post(admin, [{"user_id": 43, "course_run_key": RUN}, {"user_id": 44, "course_run_key": RUN}])
    assert response.status_code == 409
    assert response.json()["successes"][0]["user_id"] == 43
    assert response.json()["failures"][0]["code"] == "unknown_user_id"


def test_an_lms_lookup_realises_local_pending_enrollments(admin, fake_lms, django_capture_on_commit_callbacks):
    """A learner first seen in the LMS's answer is an arrival: their pending rows become enrollments."""
    other = CourseRunFactory(key=RUN2)
    PendingEnrollment.objects.create(email="ana@example.com", course_run=other, mode="verified")
    fake_lms.add(responses.POST, SEARCH_URL, json=[{"username": "ana", "email": "ana@example.com", "id": 42}])
    fake_lms.add_callback(responses.POST, ENROLL_URL, callback=enroll_callback({"ana"}))
    with django_capture_on_commit_callbacks(execute=True):
        response = post(admin, [{"email": "ana@example.com", "course_run_key": RUN}])
    assert response.status_code == 201
    assert sorted(Enrollment.objects.filter(learner__username="ana").values_list("course_run__key", flat=True)) == [
        RUN,
        RUN2,
    ]
    assert not PendingEnrollment.objects.exists()


def test_unenroll_posts_is_active_false_and_mirrors_the_answer(fake_lms):
    enrollment = EnrollmentFactory(learner__username="ana", course_run__key=RUN, mode="verified")
    fake_lms.add(
        responses.POST,
        ENROLL_URL,
        json=enrollment_answer("ana", RUN, is_active=False),
        match=[matchers.json_params_matcher({"is_active": False}, strict_match=False)],
    )
    assert enrollment_backend_get().unenroll(learner=enrollment.learner, course_run_key=RUN) is True
    enrollment.refresh_from_db()
    assert enrollment.is_active is False


def test_lms_backend_without_its_settings_names_them(settings):
    settings.LMS_URL = None
    settings.OAUTH2_CLIENT_SECRET = ""
    with pytest.raises(ImproperlyConfigured, match="LMS_URL, OAUTH2_CLIENT_SECRET"):
        enrollment_backend_get()


def test_many_pairs_run_concurrently_and_all_succeed(admin, fake_lms):
    runs = [CourseRunFactory().key for _ in range(5)]
    accounts = [{"username": f"l{i}", "email": f"l{i}@example.com", "id": 1000 + i} for i in range(20)]
    fake_lms.add(responses.POST, SEARCH_URL, json=accounts)
    fake_lms.add_callback(responses.POST, ENROLL_URL, callback=enroll_callback({a["username"] for a in accounts}))
    response = post(admin, [{"email": a["email"], "course_run_key": run} for a in accounts for run in runs])
    assert response.status_code == 201
    assert len(response.json()["successes"]) == 100
    assert Enrollment.objects.count() == 100
    assert len(calls_to(fake_lms, TOKEN_URL)) == 1


def test_an_lms_answer_with_an_inactive_enrollment_is_not_a_success(admin, fake_lms):
    fake_lms.add(responses.POST, SEARCH_URL, json=[{"username": "ana", "email": "ana@example.com", "id": 42}])
    fake_lms.add(responses.POST, ENROLL_URL, json=enrollment_answer("ana", RUN, is_active=False))
    response = post(admin, [{"email": "ana@example.com", "course_run_key": RUN}])
    assert response.status_code == 409
    assert response.json()["failures"][0]["code"] == "lms_refused"
    assert not Enrollment.objects.filter(is_active=True).exists()


def test_a_refused_account_search_fails_those_pairs_with_the_reason(admin, fake_lms):
    fake_lms.add(responses.POST, SEARCH_URL, status=403, json={"detail": "You do not have permission."})
    response = post(admin, [{"email": "ana@example.com", "course_run_key": RUN}])
    assert response.status_code == 409
    failure = response.json()["failures"][0]
    assert failure["code"] == "lms_refused" and "permission" in failure["reason"]
    assert not calls_to(fake_lms, ENROLL_URL) and not calls_to(fake_lms, ALLOWED_URL)


def test_accounts_fallback_get_answering_a_200_list_enrolls_the_learner(admin, fake_lms):
    """An LMS without search_emails: GET /api/user/v1/accounts?email= answers a list with one account."""
    fake_lms.add(responses.POST, SEARCH_URL, status=404)
    fake_lms.add(
        responses.GET,
        ACCOUNTS_URL,
        json=[{"username": "ana", "email": "Ana@Example.com", "id": 42, "name": "Ana", "is_active": True}],
        match=[matchers.query_param_matcher({"email": "ana@example.com"})],
    )
    fake_lms.add_callback(responses.POST, ENROLL_URL, callback=enroll_callback({"ana"}))
    response = post(admin, [{"email": "ana@example.com", "course_run_key": RUN}])
    assert response.status_code == 201, response.json()
    assert response.json()["successes"] == [
        {"email": "ana@example.com", "user_id": 42, "course_run_key": RUN, "created": True}
    ]
    assert len(calls_to(fake_lms, ACCOUNTS_URL, "GET")) == 1
    assert json.loads(calls_to(fake_lms, ENROLL_URL)[0].request.body)["user"] == "ana"
    assert Enrollment.objects.get().learner.lms_user_id == 42


def test_no_more_lms_calls_run_at_once_than_the_configured_workers(fake_lms):
    from enrollments.data import BulkEnrollmentItem
    from enrollments.lms import LmsClient
    from enrollments.services import bulk_enroll

    accounts = [{"username": f"l{i}", "email": f"l{i}@example.com", "id": 1000 + i} for i in range(12)]
    fake_lms.add(responses.POST, SEARCH_URL, json=accounts)
    lock, in_flight, peak, calls = threading.Lock(), [0], [0], [0]
    # The first two calls wait for each other: they can only both pass if they are in flight at once.
    first_two = threading.Barrier(2, timeout=5)
    unmet: list[BaseException] = []

    def slow_enroll(request):
        with lock:
            calls[0] += 1
            call = calls[0]
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        if call <= 2:
            try:
                first_two.wait()
            except threading.BrokenBarrierError as exc:
                unmet.append(exc)
        time.sleep(0.05)  # long enough for a fourth call to overlap if the pool let one through
        with lock:
            in_flight[0] -= 1
        body = json.loads(request.body)
        return 200, {}, json.dumps(enrollment_answer(body["user"], RUN))

    fake_lms.add_callback(responses.POST, ENROLL_URL, callback=slow_enroll)
    backend = lms_backend.LmsEnrollmentBackend(client=LmsClient.from_settings(), max_workers=3)
    result = bulk_enroll(
        items=[BulkEnrollmentItem(email=a["email"], course_run_key=RUN) for a in accounts], backend=backend
    )
    assert len(result.successes) == 12
    assert unmet == [], "the first two LMS calls never ran at the same time"
    assert 2 <= peak[0] <= 3


def test_a_down_lms_trips_the_circuit_breaker_and_fails_the_rest_at_once(admin, fake_lms, settings, monkeypatch):
    settings.LMS_CIRCUIT_BREAKER_FAILURES = 5
    monkeypatch.setattr(lms_backend, "DEFAULT_MAX_WORKERS", 1)  # one call at a time: the count is exact
    accounts = [{"username": f"l{i}", "email": f"l{i}@example.com", "id": 1000 + i} for i in range(30)]
    fake_lms.add(responses.POST, SEARCH_URL, json=accounts)
    fake_lms.add(responses.POST, ENROLL_URL, body=requests.exceptions.ConnectTimeout("connect timed out"))
    response = post(admin, [{"email": a["email"], "course_run_key": RUN} for a in accounts])
    assert response.status_code == 409
    body = response.json()
    assert body["successes"] == [] and len(body["failures"]) == 30
    assert {f["code"] for f in body["failures"]} == {"lms_unavailable"}
    # Pair 1: three attempts; pair 2: two more make five failures in a row; nothing else is sent.
    assert len(calls_to(fake_lms, ENROLL_URL)) == 5
    not_sent = [f for f in body["failures"] if "not sent" in f["reason"]]
    assert len(not_sent) == 29
    assert "LMS unavailable: 5 LMS calls in a row failed" in not_sent[-1]["reason"]
    assert not Enrollment.objects.exists()


def test_a_backend_that_tripped_its_breaker_starts_its_next_calls_with_a_fresh_guard(fake_lms):
    """The guard belongs to one enroll()/unenroll() call: a long-lived backend instance (one per worker)
    must not refuse a recovered LMS because an earlier request tripped the breaker or spent its budget."""
    from enrollments.data import BulkEnrollmentItem
    from enrollments.lms import LmsClient
    from enrollments.services import bulk_enroll

    now = [0.0]
    accounts = [{"username": f"l{i}", "email": f"l{i}@example.com", "id": 1000 + i} for i in range(4)]
    fake_lms.add(responses.POST, SEARCH_URL, json=accounts)
    down = fake_lms.add(responses.POST, ENROLL_URL, body=requests.exceptions.ConnectTimeout("connect timed out"))
    backend = lms_backend.LmsEnrollmentBackend(
        client=LmsClient.from_settings(),
        max_workers=1,
        circuit_breaker_failures=2,
        time_budget_seconds=25,
        clock=lambda: now[0],
    )
    items = [BulkEnrollmentItem(email=a["email"], course_run_key=RUN) for a in accounts]
    first = bulk_enroll(items=items, backend=backend)
    assert first.successes == [] and len(first.failures) == 4
    assert all("LMS unavailable: 2 LMS calls in a row failed" in f.reason for f in first.failures)
    assert len(calls_to(fake_lms, ENROLL_URL)) == 2
    now[0] += 100  # and the first request's 25 s budget is long spent

    # The LMS is back: the same instance sends every call again.
    fake_lms.remove(down)
    fake_lms.add_callback(responses.POST, ENROLL_URL, callback=enroll_callback({a["username"] for a in accounts}))
    second = bulk_enroll(items=items, backend=backend)
    assert [s.email for s in second.successes] == [a["email"] for a in accounts] and second.failures == []
    enrollment = Enrollment.objects.get(learner__username="l0")
    fake_lms.replace(responses.POST, ENROLL_URL, json=enrollment_answer("l0", RUN, is_active=False))
    assert backend.unenroll(learner=enrollment.learner, course_run_key=RUN) is True
    assert Enrollment.objects.filter(is_active=True).count() == 3


def test_an_answer_resets_the_count_of_failures_in_a_row(admin, fake_lms, settings, monkeypatch):
    settings.LMS_CIRCUIT_BREAKER_FAILURES = 3
    monkeypatch.setattr(lms_backend, "DEFAULT_MAX_WORKERS", 1)
    accounts = [{"username": f"l{i}", "email": f"l{i}@example.com", "id": 1000 + i} for i in range(4)]
    fake_lms.add(responses.POST, SEARCH_URL, json=accounts)
    for _ in range(4):  # every pair: one 503, then the enrollment
        fake_lms.add(responses.POST, ENROLL_URL, status=503)
        fake_lms.add_callback(responses.POST, ENROLL_URL, callback=enroll_callback({a["username"] for a in accounts}))
    response = post(admin, [{"email": a["email"], "course_run_key": RUN} for a in accounts])
    assert response.status_code == 201, response.json()
    assert len(response.json()["successes"]) == 4


def test_the_time_budget_stops_sending_calls_and_fails_the_rest(fake_lms):
    from enrollments.data import BulkEnrollmentItem
    from enrollments.lms import LmsClient
    from enrollments.services import bulk_enroll

    now = [0.0]
    accounts = [{"username": f"l{i}", "email": f"l{i}@example.com", "id": 1000 + i} for i in range(10)]
    fake_lms.add(responses.POST, SEARCH_URL, json=accounts)

    def ten_seconds_each(request):
        now[0] += 10
        return 200, {}, json.dumps(enrollment_answer(json.loads(request.body)["user"], RUN))

    fake_lms.add_callback(responses.POST, ENROLL_URL, callback=ten_seconds_each)
    backend = lms_backend.LmsEnrollmentBackend(
        client=LmsClient.from_settings(), max_workers=1, time_budget_seconds=25, clock=lambda: now[0]
    )
    result = bulk_enroll(
        items=[BulkEnrollmentItem(email=a["email"], course_run_key=RUN) for a in accounts], backend=backend
    )
    # Calls start at 0, 10 and 20 s; at 30 s the 25 s budget is spent.
    assert [s.email for s in result.successes] == ["l0@example.com", "l1@example.com", "l2@example.com"]
    assert len(result.failures) == 7
    assert all(f.code == "lms_unavailable" and "25 s budget" in f.reason for f in result.failures)
    assert len(calls_to(fake_lms, ENROLL_URL)) == 3
    assert Enrollment.objects.count() == 3


@pytest.mark.parametrize(
    ("search_answer", "enroll_answer"),
    [
        ({"username": "ana", "email": "ana@example.com", "id": 42}, None),  # a dict, not a list
        ([{"username": "ana", "email": "ana@example.com"}], None),  # an account without its id
        ([{"username": "ana", "email": "ana@example.com", "id": "42"}], None),  # an id that is not an integer
        ([{"username": "ana", "email": "ana@example.com", "id": 42}], ["not", "an", "enrollment"]),
        ([{"username": "ana", "email": "ana@example.com", "id": 42}], {"mode": "verified", "user": "ana"}),
        ([{"username": "a" * 151, "email": "ana@example.com", "id": 42}], None),  # no row could hold it
        ([{"username": "ana", "email": "ana@example.com", "id": 2**63}], None),  # beyond 64 bits
    ],
)
def test_a_malformed_200_from_the_lms_is_a_failure_with_a_reason_not_a_500(
    admin, fake_lms, search_answer, enroll_answer
):
    fake_lms.add(responses.POST, SEARCH_URL, json=search_answer)
    fake_lms.add(responses.POST, ENROLL_URL, json=enroll_answer)
    response = post(admin, [{"email": "ana@example.com", "course_run_key": RUN}])
    assert response.status_code == 409, response.content
    failure = response.json()["failures"][0]
    assert failure["code"] == "lms_unavailable"
    assert "cannot read" in failure["reason"] and "not enrolled" in failure["reason"]
    assert not Enrollment.objects.exists() and not PendingEnrollment.objects.exists()


def test_one_lms_learner_named_by_email_and_by_user_id_is_enrolled_and_reported_once(admin, fake_lms):
    UserFactory(username="ana", email="ana@example.com", lms_user_id=42)
    fake_lms.add(responses.POST, SEARCH_URL, json=[{"username": "ana", "email": "ana@example.com", "id": 42}])
    fake_lms.add_callback(responses.POST, ENROLL_URL, callback=enroll_callback({"ana"}))
    response = post(
        admin,
        [
            {"email": "ana@example.com", "course_run_key": RUN},
            {"user_id": 42, "course_run_key": RUN},
            {"email": "ana@example.com", "user_id": 42, "course_run_key": RUN},
        ],
    )
    assert response.status_code == 201, response.json()
    assert response.json()["successes"] == [
        {"email": "ana@example.com", "user_id": 42, "course_run_key": RUN, "created": True}
    ]
    assert len(calls_to(fake_lms, ENROLL_URL)) == 1


def test_a_learner_the_lms_renamed_named_by_email_and_by_user_id_is_enrolled_once_under_the_new_name(admin, fake_lms):
    """The LMS answers the new username for LMS user id 42: the local row is renamed (ADR 0003) before the
    user_id-only pair is resolved, so both pairs are the same learner and the LMS is called once, by the new name."""
    ana = UserFactory(username="ana", email="ana@example.com", lms_user_id=42)
    fake_lms.add(responses.POST, SEARCH_URL, json=[{"username": "ana_b", "email": "ana@example.com", "id": 42}])
    fake_lms.add_callback(responses.POST, ENROLL_URL, callback=enroll_callback({"ana_b"}))
    response = post(
        admin, [{"email": "ana@example.com", "course_run_key": RUN}, {"user_id": 42, "course_run_key": RUN}]
    )
    assert response.status_code == 201, response.json()
    assert response.json()["successes"] == [
        {"email": "ana@example.com", "user_id": 42, "course_run_key": RUN, "created": True}
    ]
    assert [json.loads(call.request.body)["user"] for call in calls_to(fake_lms, ENROLL_URL)] == ["ana_b"]
    assert list(Enrollment.objects.values_list("learner_id", "learner__username")) == [(ana.pk, "ana_b")]


def test_a_pending_pair_for_an_email_a_local_learner_has_is_realised_at_once(
    admin, fake_lms, django_capture_on_commit_callbacks
):
    """The LMS search did not find the learner (not registered there yet when asked), but this service
    already knows someone with the email: the new pending row does not wait for an arrival that happened."""
    UserFactory(username="newbie", email="newbie@example.com")
    fake_lms.add(responses.POST, SEARCH_URL, json=[])
    fake_lms.add(responses.POST, ALLOWED_URL, status=201, json={"email": "newbie@example.com", "course_id": RUN})
    with django_capture_on_commit_callbacks(execute=True):
        response = post(admin, [{"email": "newbie@example.com", "course_run_key": RUN}])
    assert response.status_code == 202, response.json()
    assert list(Enrollment.objects.values_list("learner__username", "course_run__key")) == [("newbie", RUN)]
    assert not PendingEnrollment.objects.exists()


@pytest.mark.parametrize("learners", [3, 30])
def test_lms_backend_queries_do_not_grow_with_new_learners(
    admin, fake_lms, learners, django_capture_on_commit_callbacks
):
    """New learners are recorded in bulk and their pending rows realised in one task: same bound at 3 and 30."""
    runs = [CourseRunFactory().key for _ in range(2)]
    accounts = [{"username": f"l{i}", "email": f"l{i}@example.com", "id": 1000 + i} for i in range(learners)]
    for account in accounts:  # each new learner was invited earlier: arriving realises that too
        PendingEnrollment.objects.create(email=account["email"], course_run=CourseRunFactory(), mode="audit")
    fake_lms.add_callback(responses.POST, SEARCH_URL, callback=search_callback(accounts))
    fake_lms.add_callback(responses.POST, ENROLL_URL, callback=enroll_callback({a["username"] for a in accounts}))
    fake_lms.add(responses.POST, ALLOWED_URL, status=201, json={})
    items = [{"email": a["email"], "course_run_key": run} for a in accounts for run in runs]
    post(admin, [{"email": "warm@example.com", "course_run_key": runs[0]}])  # authenticate once
    # 2 of them look for pending enrollments (ADR 0007): the token's email, then the batch's emails.
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        response = post(admin, items)
    # History: the new pending rows, and the enrollments the realisation inserts, are read back once each.
    assert queries_but_history_inserts(queries.captured_queries) <= 27
    assert response.status_code == 201, response.json()
    assert Enrollment.objects.filter(learner__username__startswith="l").count() == learners * 3
    assert not PendingEnrollment.objects.filter(email__startswith="l").exists()


def test_edx_enterprise_path_records_the_customer_through_the_lms_backend(admin, fake_lms):
    """license-manager's body at edx-enterprise's path: the LMS enrolls, the mirror keeps the customer uuid."""
    customer = "3b8e5c1f-0000-4000-8000-00000000e001"
    CourseRunFactory(key=RUN)
    fake_lms.add(responses.POST, SEARCH_URL, json=[{"username": "ana", "email": "ana@example.com", "id": 42}])
    fake_lms.add_callback(responses.POST, ENROLL_URL, callback=enroll_callback({"ana"}, mode="verified"))
    fake_lms.add(responses.POST, ALLOWED_URL, status=201, json={})
    body = {
        "licenses_info": [
            {"email": "ana@example.com", "course_run_key": RUN, "license_uuid": "7e5a8b50-0000-4000-8000-0000000000a1"},
            {"email": "new@example.com", "course_run_key": RUN, "license_uuid": "7e5a8b50-0000-4000-8000-0000000000a2"},
        ],
        "notify": False,
    }
    url = f"/enterprise/api/v1/enterprise-customer/{customer}/enroll_learners_in_courses/"
    response = admin.post(url, body, format="json")
    assert response.status_code == 202, response.json()
    assert str(Enrollment.objects.get(course_run__key=RUN).enterprise_customer_uuid) == customer
    assert str(PendingEnrollment.objects.get(email="new@example.com").enterprise_customer_uuid) == customer


def test_every_lms_call_of_a_bulk_enrollment_carries_the_request_id(admin, fake_lms):
    request_id = "7d4c1e0a9b8f4a6e8c2d1f0e9a8b7c6d"
    runs = [CourseRunFactory().key for _ in range(3)]
    accounts = [{"username": f"l{i}", "email": f"l{i}@example.com", "id": 1000 + i} for i in range(4)]
    fake_lms.add(responses.POST, SEARCH_URL, json=accounts)
    fake_lms.add_callback(responses.POST, ENROLL_URL, callback=enroll_callback({a["username"] for a in accounts}))
    items = [{"email": a["email"], "course_run_key": run} for a in accounts for run in runs]
    response = admin.post(BULK_URL, {"enrollments_info": items}, format="json", HTTP_X_REQUEST_ID=request_id)
    assert response.status_code == 201
    assert response["X-Request-ID"] == request_id
    api_calls = calls_to(fake_lms, SEARCH_URL) + calls_to(fake_lms, ENROLL_URL)
    assert len(api_calls) == 13, "one search, then enrollments from the pool's threads"
    assert {call.request.headers.get("X-Request-ID") for call in api_calls} == {request_id}
