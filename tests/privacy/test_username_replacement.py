"""POST /api/v1/replace_usernames/: the LMS's username replacement, as Open edX IDAs expose it."""

import pytest

from core.models import User
from credentials_status.models import CourseRunCredential
from privacy.rest_api.v1.serializers import MAX_USERNAME_MAPPINGS
from tests.factories import CredentialFactory, UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/replace_usernames/"


@pytest.fixture
def worker(jwt_client, settings):
    settings.RETIREMENT_SERVICE_WORKER_USERNAME = "retirement_worker"
    return jwt_client("retirement_worker")


def test_replacements_apply_and_failures_are_listed(worker):
    ana = UserFactory(username="ana_old", lms_user_id=7)
    CredentialFactory(learner=ana)
    UserFactory(username="bo_old")
    UserFactory(username="taken")
    mappings = [{"ana_old": "ana_new"}, {"bo_old": "taken"}, {"never_here": "whatever"}]

    response = worker.post(URL, {"username_mappings": mappings}, format="json")

    assert response.status_code == 200
    assert response.json() == {
        "successful_replacements": [{"ana_old": "ana_new"}, {"never_here": "whatever"}],
        "failed_replacements": [{"bo_old": "taken"}],
    }
    ana.refresh_from_db()
    assert ana.username == "ana_new" and ana.lms_user_id == 7
    assert CourseRunCredential.objects.get().learner_id == ana.pk  # records follow the learner
    assert User.objects.filter(username="bo_old").exists()


def test_a_replacement_is_recorded_in_history_sources_but_never_logged(worker, caplog):
    UserFactory(username="secret_old_name")
    response = worker.post(URL, {"username_mappings": [{"secret_old_name": "secret_new_name"}]}, format="json")
    assert response.status_code == 200
    logged = " ".join(str(record.__dict__) for record in caplog.records)
    assert "usernames_replaced" in logged
    assert "secret_old_name" not in logged and "secret_new_name" not in logged


def test_a_retired_learner_is_not_renamed(worker):
    UserFactory(username="retired__user_abc", retired_at="2026-01-01T00:00:00Z")
    response = worker.post(URL, {"username_mappings": [{"retired__user_abc": "back"}]}, format="json")
    assert response.json()["failed_replacements"] == [{"retired__user_abc": "back"}]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"username_mappings": []},
        {"username_mappings": {"a": "b"}},
        {"username_mappings": [{"a": "b", "c": "d"}]},
        {"username_mappings": [{"a": 5}]},
        {"username_mappings": [{"a": ""}]},
        {"username_mappings": ["a"]},
        {"username_mappings": [{"a": "x" * 151}]},
        {"username_mappings": [{"a": "a/b"}]},
        {"username_mappings": [{f"u{i}": f"v{i}"} for i in range(MAX_USERNAME_MAPPINGS + 1)]},
    ],
)
def test_bad_input_is_a_400_that_changes_nothing(worker, body):
    UserFactory(username="a")
    response = worker.post(URL, body, format="json")
    assert response.status_code == 400
    assert User.objects.filter(username="a").exists()


def test_only_the_retirement_worker_and_superusers_may_replace(jwt_client, api_client, settings):
    settings.RETIREMENT_SERVICE_WORKER_USERNAME = "retirement_worker"
    UserFactory(username="ana_one")
    body = {"username_mappings": [{"ana_one": "ana_two"}]}
    assert api_client.post(URL, body, format="json").status_code == 401
    assert jwt_client("staff", administrator=True).post(URL, body, format="json").status_code == 403
    assert jwt_client("ana_one").post(URL, body, format="json").status_code == 403
    assert User.objects.filter(username="ana_one").exists()
    UserFactory(username="root", is_superuser=True)
    assert jwt_client("root").post(URL, body, format="json").status_code == 200
    assert User.objects.filter(username="ana_two").exists()
